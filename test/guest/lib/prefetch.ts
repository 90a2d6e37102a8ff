// Builds the guest images a run will boot, one after another, in a background process that test/run.js starts
// with the run: on a cold cache each build takes minutes of mostly one core, and done here it overlaps the
// earlier layers and the first boots instead of adding to them. The cache's build lock makes a test that needs an
// image wait for the build in progress (or build it itself if prefetch has not reached it), so a failed or killed
// prefetch costs only time. Usage: node dist/test/guest/lib/prefetch.js SUITE...
import { debianImage } from './debian-image.js';
import { SUITES, type Suite } from '../../helpers/cloud-init.js';

const suites = process.argv.slice(2).filter((s): s is Suite => SUITES.includes(s as Suite));
for (const suite of suites) {
  const started = Date.now();
  try {
    const image = await debianImage(suite);
    console.log(
      `${suite}: ${image.buildSeconds ? `built in ${image.buildSeconds} s` : 'cached'} (${Math.round((Date.now() - started) / 1000)} s)`,
    );
  } catch (e) {
    // The test that boots this suite builds it again and reports the failure where it belongs.
    console.log(`${suite}: build failed: ${(e as Error).message}`);
  }
}
