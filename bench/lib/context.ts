// What every benchmark gets: the mode, a logger to stderr (stdout carries only the table), and a scratch dir.
export interface BenchContext {
  quick: boolean;
  log(message: string): void;
  scratch: string; // removed at the end of the run
}
