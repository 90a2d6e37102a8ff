// nginx as the reference static server: one worker, the same files on disk, its own prefix and config in a temp
// dir, in the foreground so the benchmark owns its lifetime. Access logging stays on, as the sidecar logs every
// request too; keepalive_requests is raised so wrk's connections are not recycled every 1000 requests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTracked, stopChild } from './proc.js';
import { waitFor200 } from './http.js';
import { PINNED } from './wrk.js';

export interface Nginx {
  port: number;
  stop(): Promise<void>;
}

export async function startNginx(
  dir: string,
  port: number,
  files: Map<string, string | Buffer>,
  probe: string,
): Promise<Nginx> {
  const www = join(dir, 'www');
  for (const [path, body] of files) {
    const file = join(www, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, body);
  }
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  keepalive_requests 1000000;
  types { application/json json; }
  default_type text/plain;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${www};
  }
}
`,
  );
  const nginxArgs = ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
  const child = PINNED ? spawnTracked('taskset', ['-c', '1', 'nginx', ...nginxArgs]) : spawnTracked('nginx', nginxArgs);
  await waitFor200(port, probe, 5000, 10);
  return { port, stop: () => stopChild(child) };
}
