// Where the source tree is, seen from the compiled test (dist/test/unit/spec/*.js): fixtures, examples and
// snapshots are read from the repo, not from dist/.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const fromRepo = (...parts: string[]): string => join(repoRoot, ...parts);

// Real public keys (generated with ssh-keygen for these tests; the private halves were discarded).
export const KEYS = {
  ed25519: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINH3akpMqRH3qehL8mfiGrOE6UE5CRtB1AqhlQVU638q test-ed25519@vmmeta',
  rsa: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDds9+IWVoZJST+RMpDtr8e5xWSCTDoLii/OgH/OOVz6Dhgr9TjzFpWdOjR0YqHg9d3PMCMu9krVSSU/x8OhQ23fMDOrjVlkKXxJjaLIW0ijkgF0AyPaTZ9iSiixQdq470G8i3/0PlQLzwwxiUaprFgHzuIAVrEogFfqL4+KJpYcw== small',
  ecdsa256:
    'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIyqWVNa4NnUeXmLtPMrrG2RI7UgAs6kSVXE01yW0U1zswyL0RaKndV/8f825Khm4UPBvQWXOf3v2sIjg/wsPmY= test-ecdsa@vmmeta',
  ecdsa384:
    'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBKGl0xBCqW89ykZJlh6EoFIoL4K1uPNdROZtnW2RlFEkldcWcqT/ZnV1+nkYobvINQkGnq+OsioYJJa4FRS6mj3amg46Q0vRiKpuy7xu/D8sidrkGvwTJQ53iKxGa4YI/g== t384',
};
