// Markdown rendering of bench/results/*.json.

import { fmt, fmtSummary } from './stats.mjs';

function table(rows) {
  const head = '| metric | baseline | insp | rrweb | insp / rrweb |\n|---|---:|---:|---:|---:|\n';
  return (
    head +
    rows
      .map((r) => {
        const cell = (k) => (r[k] === undefined ? '' : fmtSummary(r[k], r.unit));
        const ratio = r.ratio === undefined ? '' : fmtSummary(r.ratio, '×');
        const unit = r.unit && !['count', 'B', 'B/min', 'B/s'].includes(r.unit) ? ` (${r.unit})` : '';
        return `| ${r.metric}${unit} | ${cell('baseline')} | ${cell('insp')} | ${cell('rrweb')} | ${ratio} |`;
      })
      .join('\n') +
    '\n'
  );
}

export function markdown(res) {
  const m = res.machine;
  const o = res.options;
  let s = `# insp vs rrweb benchmark\n\n`;
  s += `- command: \`${res.command}\`\n`;
  s += `- date: ${res.date} (${res.elapsedS} s)\n`;
  s += `- machine: ${m.cpu}, ${m.cores} cores, ${m.memGB} GB, ${m.os}; load average at start ${m.loadavgAtStart.join(' ')}\n`;
  s += `- browser: Chromium ${m.chromium || 'n/a'} (headless, playwright-core ${res.versions.playwrightCore}); node ${m.node}\n`;
  const ins = res.versions.insp;
  s += `- insp: ${ins ? `${ins.dir}/ built ${ins.builtAt}${ins.git ? `, git ${ins.git}` : ''}` : 'not built (n/a)'}; rrweb: @rrweb/record ${res.versions.rrweb['@rrweb/record']} + @rrweb/packer ${res.versions.rrweb['@rrweb/packer']} (maskAllInputs, packFn: pack)\n`;
  s += `- repetitions: ${o.reps} (visit: ${o.visitReps}); cells are median (min–max); insp / rrweb is the median of the per-round ratios\n\n`;

  const sec = res.sections;
  if (sec.startupBytes) {
    s += `## Start-up bytes\n\nWhat a visitor downloads before recording starts, compressed as a server would send it (gzip -9, brotli q11).\n\n`;
    s += '| file | raw | gzip -9 | brotli |\n|---|---:|---:|---:|\n';
    for (const [k, v] of Object.entries(sec.startupBytes.sizes)) s += `| ${k} | ${fmt(v.raw, 'B')} | ${fmt(v.gzip9, 'B')} | ${fmt(v.brotli, 'B')} |\n`;
    const r = sec.startupBytes.ratioInspToRrweb;
    if (r) s += `| **insp / rrweb** | ${fmt(r.raw, '×')} | ${fmt(r.gzip9, '×')} | ${fmt(r.brotli, '×')} |\n`;
    s += '\n';
  }
  if (sec.startupTiming) {
    s += `## Start-up time (${sec.startupTiming.case})\n\nMilliseconds after the recorder's script element is inserted (page already loaded).\n\n`;
    s += table(sec.startupTiming.rows) + '\n';
  }
  if (sec.static) {
    s += `## Big static page: full snapshot\n\n`;
    for (const c of sec.static) {
      const p = c.page;
      s += `### ${c.case}${p ? ` (${p.elements} elements, ${p.nodes} nodes, ${fmt(p.htmlBytes, 'B')} HTML)` : ''}\n\n`;
      s += table(c.rows);
      const fl = (v) => fmtSummary(c[`${v}OverFloor`], '×');
      s += `\nFloor (TreeWalker, ${c.floor.nodes ?? '?'} nodes): cold ${fmtSummary(c.floor.coldMs, 'ms')}, warm ${fmtSummary(c.floor.warmMs, 'ms')}; snapshot main-thread time / cold floor: insp ${fl('insp')}, rrweb ${fl('rrweb')}.\n\n`;
    }
  }
  if (sec.storm) {
    s += `## Mutation storm\n\n`;
    for (const c of sec.storm) s += `### ${c.case}\n\n` + table(c.rows) + '\n';
  }
  if (sec.visit) {
    s += `## Typical visit (${sec.visit.case})\n\n` + table(sec.visit.rows) + '\n';
  }
  if (res.notes && res.notes.length) {
    s += `## Notes\n\n` + res.notes.map((n) => `- ${n}`).join('\n') + '\n';
  }
  return s;
}
