/** The explorer page: three views over the library, each running it in Web Workers; tabs reachable by keyboard. */
import type { ViTConfig } from '../../src/model/index.ts';
import { classifyView, type WeightsInfo } from './classify-view.ts';
import { WorkerClient } from './client.ts';
import { h } from './dom.ts';
import { planView } from './plan-view.ts';
import { simView } from './sim-view.ts';
import './style.css';

interface ServerInfo {
  version: string;
  weights: WeightsInfo | null;
  models: ViTConfig[];
}

async function start(): Promise<void> {
  const app = document.getElementById('app')!;
  let info: ServerInfo;
  try {
    const res = await fetch('api/info');
    if (!res.ok) throw new Error(`server answered ${res.status}`);
    info = await res.json();
  } catch (e) {
    app.replaceChildren(h('p', { class: 'warning', role: 'alert' }, `Cannot reach the explorer's server: ${(e as Error).message}. Start it with npx vitpipe explore.`));
    return;
  }
  // Separate workers so planning, the two halves of a simulation and classification can run side by side.
  const planner = new WorkerClient('planner');
  const simNetwork = new WorkerClient('simulator (network)');
  const simBlocks = new WorkerClient('simulator (blocks)');
  const engine = new WorkerClient('engine');
  const sim = simView(simNetwork, simBlocks);
  const views = {
    plan: planView(planner, info.models, !!info.weights && !info.weights.error && info.weights.types, (r) => {
      sim.usePlanned(r.designJson!, `${r.model}-${r.device.name}`);
      select('sim');
    }),
    sim: sim.el,
    classify: classifyView(engine, info.weights),
  };
  const labels = { plan: 'Plan', sim: 'Simulate', classify: 'Classify' } as const;
  type ViewName = keyof typeof views;
  const tabs = Object.fromEntries(Object.keys(views).map((k) => [k, h('button', { type: 'button', role: 'tab', id: `tab-${k}`, 'aria-controls': `view-${k}`, 'aria-selected': 'false' }, labels[k as ViewName])])) as Record<ViewName, HTMLButtonElement>;
  const select = (name: ViewName) => {
    for (const [k, v] of Object.entries(views)) v.hidden = k !== name;
    for (const [k, t] of Object.entries(tabs)) {
      t.setAttribute('aria-selected', String(k === name));
      t.tabIndex = k === name ? 0 : -1;
    }
    document.body.dataset.view = name;
    history.replaceState(null, '', `#${name}`);
  };
  const names = Object.keys(views) as ViewName[];
  for (const [k, t] of Object.entries(tabs)) {
    t.onclick = () => select(k as ViewName);
    // Arrow keys move between tabs (the WAI-ARIA tabs pattern).
    t.onkeydown = (e) => {
      const i = names.indexOf(k as ViewName);
      const j = e.key === 'ArrowRight' ? (i + 1) % names.length : e.key === 'ArrowLeft' ? (i + names.length - 1) % names.length : -1;
      if (j < 0) return;
      select(names[j]);
      tabs[names[j]].focus();
    };
  }
  app.replaceChildren(
    h('header', {}, h('h1', {}, 'vitpipe explorer'), h('nav', { role: 'tablist', 'aria-label': 'views' }, ...Object.values(tabs)), h('span', { class: 'version' }, `vitpipe ${info.version}`)),
    h('main', {}, ...Object.values(views)),
  );
  const hash = location.hash.slice(1) as ViewName;
  select(names.includes(hash) ? hash : 'plan');
  document.body.dataset.ready = '1';
}

void start();
