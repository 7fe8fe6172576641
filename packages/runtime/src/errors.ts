/** An error the CLI reports as one line with its stable code, instead of a stack trace. */
export class ReeltimeError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.name = "ReeltimeError";
    this.code = code;
    this.exitCode = exitCode;
  }
}
