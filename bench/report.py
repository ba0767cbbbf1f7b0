#!/usr/bin/env python3
"""Render bench/run.sh's measurements (a key=value file) as the Markdown report.

The file has global keys (date, machine, load averages, omslint version) and, for each
measured shape listed in `sections`, keys prefixed with the shape (`findings.cat_wall`).

MB are 10^6 bytes (throughput = total dump bytes / wall time); peak RSS is GNU time's
%M (KiB) shown in MiB. Nothing here asserts a timing: targets are printed next to the
measured values, and the exit code is always 0.
"""
import statistics
import sys

# The targets of issue 14 (throughput, memory at both sizes) and the earlier speed-up one.
TARGET_MBPS = 600.0
TARGET_RSS_MIB = 64.0
TARGET_SPEEDUP = 10.0

SHAPE_TITLES = {
    "findings": "many findings (about 68,000 projects not ready, N/8 components)",
    "components": "few findings, many components (0.08 % of the projects not ready, N/4 components)",
}


def load(path):
    facts = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if "=" in line:
                key, value = line.split("=", 1)
                facts[key] = value
    return facts


class Section:
    """The keys of one shape, without their prefix."""

    def __init__(self, facts, name):
        self.name = name
        prefix = name + "."
        self.f = {k[len(prefix):]: v for k, v in facts.items() if k.startswith(prefix)}

    def get(self, key, default=None):
        return self.f.get(key, default)

    def num(self, key):
        try:
            return float(self.f[key])
        except (KeyError, ValueError):
            return None

    def nums(self, key):
        out = []
        for v in self.f.get(key, "").split():
            try:
                out.append(float(v))
            except ValueError:
                pass
        return out


def mb(n_bytes):
    return n_bytes / 1e6


def mib_from_kb(kb):
    return None if kb is None else kb / 1024.0


def fmt(x, digits=2):
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def fmt_wall(x):
    if x is None:
        return "—"
    if x < 1:
        return f"{x:.3f}"
    if x < 10:
        return f"{x:.2f}"
    return fmt(x)


def mbps(n_bytes, wall):
    if wall is None or n_bytes is None:
        return None
    return mb(n_bytes) / max(wall, 1e-4)


def times(x):
    return "—" if x is None else f"{fmt(x)}×"


def met(ok):
    if ok is None:
        return "—"
    return "met" if ok else "not met"


def intfmt(v):
    try:
        return f"{int(v):,}"
    except (TypeError, ValueError):
        return v if v else "?"


class Measured:
    """The derived figures of one section."""

    def __init__(self, s):
        self.s = s
        self.bytes = int(s.get("bytes", "0")) or None
        self.small_bytes = int(s.get("small_bytes", "0")) or None
        self.ok = s.get("omslint_status") == "ok"
        self.cat_wall = s.num("cat_wall")
        self.cat_mbps = mbps(self.bytes, self.cat_wall)
        self.wall = s.num("omslint_large_wall") if self.ok else None
        self.omslint_mbps = mbps(self.bytes, self.wall)
        self.walls = s.nums("omslint_large_walls") if self.ok else []
        self.rss_large = mib_from_kb(s.num("omslint_large_rss_kb")) if self.ok else None
        small_ok = s.get("omslint_small_rc") in ("0", "1")
        self.small_wall = s.num("omslint_small_wall") if small_ok else None
        self.small_walls = s.nums("omslint_small_walls") if small_ok else []
        self.rss_small = mib_from_kb(s.num("omslint_small_rss_kb")) if small_ok else None
        self.manual_ok = s.get("manual_status") == "ok"
        # run.sh DIR measures DIR alone: no small set, and DIR is "this set".
        self.has_small = bool(s.get("small_dir"))
        self.large = "large set" if self.has_small else "this set"
        self.the_large = "the large set" if self.has_small else "this set"
        self.load_wall = s.num("manual_load_wall") if self.manual_ok else None
        self.q_wall = s.num("manual_queries_wall") if self.manual_ok else None
        self.manual_wall = (self.load_wall + self.q_wall) if self.manual_ok else None
        self.cat_ratio = (self.wall / max(self.cat_wall, 1e-4)
                          if self.wall is not None and self.cat_wall else None)
        self.speedup = (self.manual_wall / max(self.wall, 1e-4)
                        if self.wall is not None and self.manual_wall is not None else None)

    def spread(self):
        if not self.walls:
            return "—"
        return f"{fmt_wall(min(self.walls))}–{fmt_wall(max(self.walls))}"

    def target_mbps(self):
        return None if self.omslint_mbps is None else self.omslint_mbps >= TARGET_MBPS

    def target_rss_large(self):
        return None if self.rss_large is None else self.rss_large < TARGET_RSS_MIB

    def target_rss_small(self):
        return None if self.rss_small is None else self.rss_small < TARGET_RSS_MIB

    def target_speedup(self):
        return None if self.speedup is None else self.speedup >= TARGET_SPEEDUP


def summary(out, f, sections):
    w = out.append
    w("## Summary")
    w("")
    w(f"| shape | dumps MB | cat MB/s | omslint median s | omslint MB/s | runs min–max s | "
      f"omslint ÷ cat time | manual ÷ omslint | peak RSS MiB large / small | "
      f"manual s (load + queries) | ≥ {TARGET_MBPS:.0f} MB/s | < {TARGET_RSS_MIB:.0f} MiB large | "
      f"< {TARGET_RSS_MIB:.0f} MiB small |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
    for s in sections:
        m = Measured(s)
        manual = (f"{fmt_wall(m.manual_wall)} ({fmt_wall(m.load_wall)} + {fmt_wall(m.q_wall)})"
                  if m.manual_ok else "FAILED")
        if m.ok:
            wall, rate = fmt_wall(m.wall), fmt(m.omslint_mbps)
        else:
            wall = rate = "not built" if s.get("omslint_status") == "not-built" else "FAILED"
        w(f"| {s.name} | {fmt(mb(m.bytes)) if m.bytes else '—'} | {fmt(m.cat_mbps)} | {wall} | {rate} | "
          f"{m.spread()} | {times(m.cat_ratio)} | {times(m.speedup)} | "
          f"{fmt(m.rss_large)} / {fmt(m.rss_small)} | {manual} | {met(m.target_mbps())} | "
          f"{met(m.target_rss_large())} | {met(m.target_rss_small())} |")
    w("")


def section(out, f, s):
    w = out.append
    m = Measured(s)
    shape = s.get("shape", s.name)
    w(f"## Shape `{s.name}`: {SHAPE_TITLES.get(shape, shape)}")
    w("")
    files = ", ".join(
        f"{k[5:]}.sql {mb(int(v)):,.1f} MB" for k, v in s.f.items() if k.startswith("file_"))
    info = s.get("shape_info", "")
    info = f"; generated with {info.replace(' ', ', ')}" if info else ""
    w(f"- data: `{s.get('dir')}` ({shape} shape{info}) — {mb(m.bytes or 0):,.1f} MB of dumps "
      f"({(m.bytes or 0) / 2**30:.2f} GiB): {files}")
    if s.get("small_dir"):
        w(f"- small set: `{s.get('small_dir')}` — {mb(m.small_bytes or 0):,.1f} MB of dumps")
    else:
        w("- small set: not measured (run.sh DIR measures just DIR)")
    w(f"- load average at the start of this shape: {s.get('loadavg', '?')}")
    if s.get("manual_server_settings"):
        w(f"- manual path server: {s.get('manual_server_settings')}")
    w("")

    def ratio(wall):
        if wall is None or m.wall is None:
            return "—"
        return f"{wall / max(m.wall, 1e-4):.2f}×"

    w("| tool | wall s | MB/s | peak RSS MiB | ratio vs omslint |")
    w("|---|---:|---:|---:|---:|")
    w(f"| cat (I/O ceiling, warm cache) | {fmt_wall(m.cat_wall)} | {fmt(m.cat_mbps)} | "
      f"{fmt(mib_from_kb(s.num('cat_rss_kb')))} | {ratio(m.cat_wall)} |")
    status = s.get("omslint_status", "not-built")
    if m.ok:
        runs = s.get("omslint_large_runs", "1")
        label = "omslint lint --format json" + (f" (median of {runs})" if runs != "1" else "")
        w(f"| {label} | {fmt_wall(m.wall)} | {fmt(m.omslint_mbps)} | {fmt(m.rss_large)} | 1.00× |")
    elif status == "not-built":
        w("| omslint: not built | — | — | — | — |")
    else:
        w(f"| omslint: FAILED (exit {s.get('omslint_large_rc', '?')}) | — | — | — | — |")
    if m.small_wall is not None:
        runs = s.get("omslint_small_runs", "1")
        label = "omslint, small set" + (f" (median of {runs})" if runs != "1" else "")
        w(f"| {label} | {fmt_wall(m.small_wall)} | {fmt(mbps(m.small_bytes, m.small_wall))} | "
          f"{fmt(m.rss_small)} | — |")
    elif s.get("omslint_small_rc"):
        w(f"| omslint, small set: FAILED (exit {s.get('omslint_small_rc')}) | — | — | — | — |")
    if m.manual_ok:
        client_rss = max(s.num("manual_load_rss_kb") or 0, s.num("manual_queries_rss_kb") or 0)
        server_rss = mib_from_kb(s.num("manual_server_rss_kb"))
        w(f"| manual: mariadb load + guide SQL | {fmt_wall(m.manual_wall)} | {fmt(mbps(m.bytes, m.manual_wall))} | "
          f"client {fmt(mib_from_kb(client_rss))}, mariadbd {fmt(server_rss)} | {ratio(m.manual_wall)} |")
        w(f"| · manual: load only | {fmt_wall(m.load_wall)} | {fmt(mbps(m.bytes, m.load_wall))} | "
          f"{fmt(mib_from_kb(s.num('manual_load_rss_kb')))} | {ratio(m.load_wall)} |")
        w(f"| · manual: guide SQL only | {fmt_wall(m.q_wall)} | — | "
          f"{fmt(mib_from_kb(s.num('manual_queries_rss_kb')))} | {ratio(m.q_wall)} |")
    else:
        w("| manual: FAILED | — | — | — | — |")
    w("")
    for label in ("large", "small"):
        if s.get(f"omslint_{label}_error"):
            w(f"omslint on {m.the_large if label == 'large' else 'the small set'} exited {s.get(f'omslint_{label}_rc')}: "
              f"`{s.get(f'omslint_{label}_error')}`")
            w("")

    w("| target | measured | |")
    w("|---|---:|---|")
    w(f"| omslint throughput ≥ {TARGET_MBPS:.0f} MB/s | "
      f"{fmt(m.omslint_mbps) + ' MB/s' if m.omslint_mbps is not None else '—'} | {met(m.target_mbps())} |")
    w(f"| omslint peak RSS < {TARGET_RSS_MIB:.0f} MiB, {m.large} | "
      f"{fmt(m.rss_large) + ' MiB' if m.rss_large is not None else '—'} | {met(m.target_rss_large())} |")
    if m.has_small:
        w(f"| omslint peak RSS < {TARGET_RSS_MIB:.0f} MiB, small set | "
          f"{fmt(m.rss_small) + ' MiB' if m.rss_small is not None else '—'} | {met(m.target_rss_small())} |")
    w(f"| manual wall ÷ omslint wall ≥ {TARGET_SPEEDUP:.0f}× | "
      f"{fmt(m.speedup) + '×' if m.speedup is not None else '—'} | {met(m.target_speedup())} |")
    w("")

    if m.walls:
        med = statistics.median(m.walls)
        spread = (max(m.walls) - min(m.walls)) / med * 100 if med else 0
        w(f"- omslint's {len(m.walls)} runs on {m.the_large}, wall s: "
          f"{', '.join(f'{x:.3f}' for x in m.walls)} (min–max {m.spread()} s, "
          f"{spread:.0f} % of the median); peak RSS MiB: {s.get('omslint_large_rsss', '?').replace(' ', ', ')}")
    if m.small_walls:
        w(f"- on the small set, wall s: {', '.join(f'{x:.3f}' for x in m.small_walls)}; "
          f"peak RSS MiB: {s.get('omslint_small_rsss', '?').replace(' ', ', ')}")
    if m.cat_ratio is not None:
        w(f"- omslint wall ÷ cat wall = {m.cat_ratio:.1f}× (omslint MB/s ÷ cat MB/s = "
          f"{m.omslint_mbps / m.cat_mbps:.3f})")
    if m.speedup is not None:
        w(f"- manual wall ÷ omslint wall = {m.speedup:.1f}×")
    if m.ok and s.get("omslint_findings"):
        codes = dict(c.split(":", 1) for c in s.get("omslint_findings").split() if ":" in c)
        w(f"- omslint's findings on {m.the_large}, by code: "
          f"{', '.join(f'{k} ×{intfmt(v)}' for k, v in codes.items())}")
    else:
        codes = {}
    if m.manual_ok:
        dp = s.get("manual_rows_dup-oms_project")
        ds = s.get("manual_rows_dup-oms_sync_project")
        br = s.get("manual_rows_blackregionno")
        hb = s.get("manual_heartbeat_count")
        line = (f"- what the guides' queries returned (manual path): {intfmt(dp)} duplicate-name groups "
                f"in oms_project, {intfmt(ds)} in oms_sync_project, {intfmt(br)} config_job rows with "
                f"blackRegionNo ≠ cm_location, {intfmt(hb)} heartbeat rows; ha.config "
                f"`{s.get('manual_ha_config', '')}…`")
        if codes:
            checks = []
            try:
                groups = int(dp) + int(ds)
                got = int(codes.get("OMS003", 0))
                checks.append(f"OMS003 ×{got:,} vs {groups:,} groups: {'agree' if got == groups else 'DIFFER'}")
            except (TypeError, ValueError):
                pass
            try:
                got = int(codes.get("OMS007", 0))
                checks.append(f"OMS007 ×{got:,} vs {int(br):,} rows: {'agree' if got == int(br) else 'DIFFER'}")
            except (TypeError, ValueError):
                pass
            checks.append(f"OMS010 {'reported' if 'OMS010' in codes else 'NOT reported'} "
                          f"for {intfmt(hb)} heartbeat rows")
            line += f". Cross-check: {'; '.join(checks)}"
        w(line + ".")
    w("")


def main():
    f = load(sys.argv[1])
    names = f.get("sections", "").split()
    sections = [Section(f, n) for n in names]
    out = []
    w = out.append

    w("# omslint benchmark")
    w("")
    binary = f" ({f['omslint_path']})" if f.get("omslint_path") else ""
    w(f"- date: {f.get('date', '?')}; git: {f.get('git_rev', '?')}; "
      f"omslint: {f.get('omslint_version') or f.get('omslint_status', '?')}{binary}")
    w(f"- machine: {f.get('cpu', '?')}, {f.get('mem', '?')} RAM, Linux {f.get('kernel', '?')}; "
      f"MariaDB {f.get('mariadb', '?')}")
    w(f"- load average (1, 5, 15 min): {f.get('loadavg', '?')} at the start, "
      f"{f.get('loadavg_end', '?')} at the end")
    w(f"- shapes: {', '.join(names) or 'none'}; omslint runs {f.get('runs', '?')} times on each "
      f"large set (the median wall is reported, peak RSS is the largest of the runs)")
    w("")
    if f.get("omslint_status") == "not-built":
        w("omslint: not built (see bench/data/.run/cargo-build.log); cat and the manual path are measured.")
        w("")

    summary(out, f, sections)
    for s in sections:
        section(out, f, s)

    gnu = []
    for s in sections:
        parts = []
        if s.get("cat_gnu_wall"):
            parts.append(f"cat {s.get('cat_gnu_wall')} s")
        if s.get("omslint_large_gnu_wall"):
            parts.append(f"omslint {s.get('omslint_large_gnu_wall')} s")
        if parts:
            gnu.append(f"{s.name}: {', '.join(parts)}")
    cold = "; ".join(f"{s.name} {fmt_wall(s.num('cat_cold_wall'))} s" for s in sections)
    w("How: each command runs under `/usr/bin/time -f '%e %M'`; wall = a nanosecond clock read "
      "around it (GNU time's `%e` has 10 ms resolution" + (f"; last runs: {'; '.join(gnu)}" if gnu else "") + "); "
      "peak RSS = `%M` in MiB (for the manual path the mariadb client's, and mariadbd's VmHWM); "
      "MB/s = total dump bytes (10^6) ÷ wall; cat and omslint read a warm page cache (cat's "
      f"first, cold-ish run: {cold}). omslint's findings are counted on one more, untimed run. "
      "The manual path excludes server start and stop. A report, not a test: no timing is asserted.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
