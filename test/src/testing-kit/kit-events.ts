/** The events of the testing kit's fixture stream, shared by the controller and the spec (as an app would share them). */
export interface KitEvents {
  tick: { n: number };
  note: { text: string };
  message: string;
}
