import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEVICES } from '../../src/cost/index.ts';
import { MODEL_ZOO } from '../../src/model/index.ts';
import { plan } from '../../src/plan/index.ts';

describe('planned design under the cycle-level simulator', () => {
  it('hgpipe-deit-tiny on VCK190: simulated interval equals the analytic one and beats 7,375 images/s by 20 %', () => {
    const r = plan({ model: MODEL_ZOO['hgpipe-deit-tiny'], device: DEVICES.vck190 });
    assert.ok(r.verification, 'simulated');
    assert.equal(r.verification.deadlock, null);
    assert.equal(r.steadyInterval, r.analyticInterval);
    assert.ok(r.fits);
    assert.ok(r.imagesPerSecond >= 1.2 * (425e6 / 57_624), `${r.imagesPerSecond}`);
  });
});
