// What a bridged guest checks from the inside, as user-data: a runcmd script (python3 ships with cloud-init, the
// image has no curl) that talks plain HTTP over sockets and prints key=value findings between
// "=== BEGIN bridge_checks ===" markers on ttyS0, opened only when it writes (a getty may vhangup the console).
// The image recipe and test/guest/scripts stay as they are: nothing here needs a rebuild.
import { stringify } from 'yaml';

export const CONTROL_MARK = 'vmmeta13=refused-checked';

export interface CheckConfig {
  mac: string; // the tap NIC, found by MAC (network_data.json names no interface)
  otherPort?: number; // probe the other VM's sidecar port directly, then the control
}

const SCRIPT = String.raw`import json, socket, time, os
CFG = json.loads(os.environ.get("CFG") or open("/usr/local/etc/vmmeta-bridge.json").read())
out = {}
def get(host, port, path, timeout=8):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    ai = socket.getaddrinfo(host, port, fam, socket.SOCK_STREAM)[0]
    s = socket.socket(ai[0], ai[1])
    s.settimeout(timeout)
    try:
        s.connect(ai[4])
        s.sendall(("GET %s HTTP/1.0\r\nHost: 169.254.169.254\r\n\r\n" % path).encode())
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body
def attempt(host, port, path):
    try:
        st, body = get(host, port, path)
        return "open:%d:%s" % (st, json.loads(body).get("uuid", "?") if st == 200 else "")
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"
    except Exception as e:
        return "error:" + repr(e)
nic = [n for n in os.listdir("/sys/class/net") if open("/sys/class/net/%s/address" % n).read().strip() == CFG["mac"]]
out["nic"] = nic[0] if nic else "?"
out["v6_meta"] = attempt("fe80::a9fe:a9fe%" + out["nic"], 80, "/openstack/latest/meta_data.json")
out["v4_meta"] = attempt("169.254.169.254", 80, "/openstack/latest/meta_data.json")
if CFG.get("otherPort"):
    out["direct_other"] = attempt("169.254.169.254", CFG["otherPort"], "/openstack/latest/meta_data.json")
    # Tell the host (through this VM's own path: its sidecar logs the request) to lift the other VM's guard.
    attempt("169.254.169.254", 80, "/openstack/?${CONTROL_MARK}")
    deadline = time.time() + 90
    while True:
        r = attempt("169.254.169.254", CFG["otherPort"], "/openstack/latest/meta_data.json")
        if r.startswith("open") or time.time() > deadline:
            break
        time.sleep(1)
    out["direct_other_unguarded"] = r
with open("/dev/ttyS0", "w") as tty:
    tty.write("=== BEGIN bridge_checks ===\n" + "".join("%s=%s\n" % kv for kv in out.items()) + "=== END bridge_checks ===\n")
`;

export function checksUserData(cfg: CheckConfig): string {
  return `#cloud-config\n${stringify({
    write_files: [
      { path: '/usr/local/bin/vmmeta-bridge-checks', permissions: '0755', content: SCRIPT },
      { path: '/usr/local/etc/vmmeta-bridge.json', content: JSON.stringify(cfg) },
    ],
    runcmd: [['python3', '/usr/local/bin/vmmeta-bridge-checks']],
  })}`;
}
