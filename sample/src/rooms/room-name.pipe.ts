import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { MAX_CHANNEL_NAME_LENGTH } from 'nestjs-event-stream';

/** What the hub channel of a room starts with. */
export const ROOM_CHANNEL_PREFIX = 'room:';

/** The hub channel of a room. */
export const roomChannel = (room: string): string => `${ROOM_CHANNEL_PREFIX}${room}`;

/** The longest room name (195): its channel, `room:<room>`, must fit in a channel name (200). */
export const MAX_ROOM_NAME_LENGTH = MAX_CHANNEL_NAME_LENGTH - ROOM_CHANNEL_PREFIX.length;

/** 1 to 195 letters, digits and `-_.:@`: stricter than a channel name (no `/`). */
export const ROOM_NAME = new RegExp(`^[A-Za-z0-9\\-_.:@]{1,${MAX_ROOM_NAME_LENGTH}}$`);

/** Checks the `:room` route parameter: 400 with what is allowed, before any stream byte. */
@Injectable()
export class RoomNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !ROOM_NAME.test(value)) {
      throw new BadRequestException(
        `room must be 1 to ${MAX_ROOM_NAME_LENGTH} letters, digits or - _ . : @ ` +
          `(its channel, ${ROOM_CHANNEL_PREFIX}<room>, is at most ${MAX_CHANNEL_NAME_LENGTH} characters)`,
      );
    }
    return value;
  }
}
