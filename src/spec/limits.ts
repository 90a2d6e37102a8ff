// Size limits the documents must respect, so a spec that validates also boots.

// Nova stores user-data base64-encoded in a 65535-character column ("User data too large" above it):
// floor(65535 / 4) * 3 = 49149 raw bytes (openstack-metadata.md, user-data limits).
export const USER_DATA_MAX_BYTES = 49149;

// AWS documents 16 KB of user-data before base64 (ec2-imds.md). vmmeta serves more over its own EC2 tree; this
// is the figure to warn about when a VM is meant to look like EC2.
export const EC2_USER_DATA_MAX_BYTES = 16384;

// A spec is a few kilobytes; inline user-data is capped above (65532 base64 characters at most). Anything past
// this is not a spec, and the YAML parser's worst case (deeply nested flow collections) grows with the size:
// about 1.5 s at 256 KiB.
export const SPEC_MAX_BYTES = 256 * 1024;
