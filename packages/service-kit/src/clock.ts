// The one clock type of the project: milliseconds since the epoch, as Date.now gives them. Services take it as
// a dependency (`now`) so tests can move time forward; code that needs a Date makes one from it.
export type Clock = () => number;
