// The guest tests' deprecation and warning check, on lines cut from real boots: the test image's own OpenSSH
// warnings pass, anything else fails, a deliberately deprecated form (the nocloud-net name on 24.1+) included.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cloudInitComplaints } from '../../guest/lib/cloud-init-complaints.js';

// bookworm 22.4, --suppress-nocloud (cold run, 2026-12-02).
const BOOKWORM = {
  warnings: [
    "2026-12-02 03:40:01,100 - cc_set_passwords.py[WARNING]: Ignoring config 'ssh_pwauth: None'. SSH service 'ssh' is not installed.",
    '2026-12-02 03:40:02,200 - util.py[WARNING]: Failed generating key type rsa to file /etc/ssh/ssh_host_rsa_key',
    'Traceback (most recent call last):',
  ].join('\n'),
  status: 'status: done\nextended_status: done\ndetail: DataSourceOpenStackLocal [net,ver=2]\nerrors: []',
};

// trixie 25.1 lists its recoverable errors in status --long.
const TRIXIE_STATUS = [
  'status: done',
  'recoverable_errors:',
  'WARNING:',
  '\t- Failed generating key type ecdsa to file /etc/ssh/ssh_host_ecdsa_key',
  '\t- ',
].join('\n');

test("the test image's own OpenSSH warnings are no complaint", () => {
  assert.deepEqual(cloudInitComplaints(BOOKWORM), []);
  assert.deepEqual(cloudInitComplaints({ warnings: '', status: TRIXIE_STATUS }), []);
});

test('a deprecation fails the check, from the log or from status --long', () => {
  const deprecated = {
    warnings:
      "2026-12-02 03:40:03,300 - DataSourceNoCloud.py[DEPRECATED]: The 'nocloud-net' datasource name is deprecated in 24.1 and scheduled to be removed in 29.1. Use 'nocloud' instead.",
    status:
      "status: done\nrecoverable_errors:\nDEPRECATED:\n\t- The 'nocloud-net' datasource name is deprecated\nextended_status: degraded done",
  };
  assert.deepEqual(cloudInitComplaints(deprecated), [
    "DEPRECATED: The 'nocloud-net' datasource name is deprecated in 24.1 and scheduled to be removed in 29.1. Use 'nocloud' instead.",
    "DEPRECATED: The 'nocloud-net' datasource name is deprecated",
  ]);
});

test('any other warning fails it, as the sid boot that found no NIC did', () => {
  const sidNoNic = {
    warnings:
      '2026-12-02 02:49:31,055 - distros[WARNING]: Did not find a fallback interface on distro: debian.\n2026-12-02 02:50:05,731 - log_util.py[WARNING]: No active metadata service found',
    status: '',
  };
  assert.deepEqual(cloudInitComplaints(sidNoNic), [
    'WARNING: Did not find a fallback interface on distro: debian.',
    'WARNING: No active metadata service found',
  ]);
});
