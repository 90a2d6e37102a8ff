// One problem in a spec, and the error that carries all of them (exit 2). Every spec check returns SpecIssue[].
import { EXIT, UserError } from '../errors.js';

// The dotted field path (e.g. "network.links[2].mac") and the reason.
export interface SpecIssue {
  path: string;
  message: string;
}

export function formatIssue(issue: SpecIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

export function invalidSpec(source: string, issues: SpecIssue[]): UserError {
  return new UserError(`${source}: invalid spec (${issues.length} problem${issues.length === 1 ? '' : 's'})`, {
    exitCode: EXIT.invalid,
    details: issues.map(formatIssue),
  });
}
