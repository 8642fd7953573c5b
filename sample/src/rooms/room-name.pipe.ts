import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** 1 to 200 letters, digits and `-_.:@`: stricter than a channel name (no `/`). */
export const ROOM_NAME = /^[A-Za-z0-9\-_.:@]{1,200}$/;

/** Checks the `:room` route parameter: 400 with what is allowed, before any stream byte. */
@Injectable()
export class RoomNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !ROOM_NAME.test(value)) {
      throw new BadRequestException('room must be 1 to 200 letters, digits or - _ . : @');
    }
    return value;
  }
}
