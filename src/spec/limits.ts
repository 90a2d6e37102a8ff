// Size limits the documents must respect, so a spec that validates also boots.

// Nova stores user-data base64-encoded in a 65535-character column ("User data too large" above it):
// floor(65535 / 4) * 3 = 49149 raw bytes (openstack-metadata.md, user-data limits).
export const USER_DATA_MAX_BYTES = 49149;

// AWS documents 16 KB of user-data before base64 (ec2-imds.md). vmmeta serves more over its own EC2 tree; this
// is the figure to warn about when a VM is meant to look like EC2.
export const EC2_USER_DATA_MAX_BYTES = 16384;

// A spec is a few kilobytes; inline user-data is capped above. Anything past this is not a spec, and reading it
// whole into the YAML parser would only waste memory.
export const SPEC_MAX_BYTES = 1024 * 1024;
