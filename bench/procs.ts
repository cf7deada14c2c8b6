/**
 * CPU time and memory of a process and all its descendants, from /proc (Linux):
 * the whole browser — browser, renderer, GPU/utility and worker processes.
 */
import { readFileSync, readdirSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 4 is the parent, after the command name in parentheses (which may hold spaces).
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = byParent.get(parent) ?? [];
      list.push(pid);
      byParent.set(parent, list);
    } catch {
      // The process ended while we looked.
    }
  }
  return byParent;
}

export function processTree(root: number): number[] {
  const byParent = children();
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const child of byParent.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

/** CPU seconds (user + system) used so far by the tree. */
export function cpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(0).split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / ticksPerSecond;
}

/** Proportional set size of the tree, in bytes: shared pages counted once across its processes. */
export function pssBytes(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (match) kb += Number(match[1]);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}
