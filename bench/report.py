#!/usr/bin/env python3
"""Render bench/run.sh's measurements (a key=value file) as the Markdown report.

MB are 10^6 bytes (throughput = total dump bytes / wall time); peak RSS is GNU time's
%M (KiB) shown in MiB. Nothing here asserts a timing: targets are printed next to the
measured values, and the exit code is always 0.
"""
import sys

TARGET_MBPS = 400.0
TARGET_SPEEDUP = 10.0
TARGET_RSS_MIB = 100.0


def load(path):
    facts = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if "=" in line:
                key, value = line.split("=", 1)
                facts[key] = value
    return facts


def num(facts, key):
    try:
        return float(facts[key])
    except (KeyError, ValueError):
        return None


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
    return fmt(x)


def mbps(n_bytes, wall):
    if wall is None:
        return None
    return mb(n_bytes) / max(wall, 1e-4)


def main():
    f = load(sys.argv[1])
    n_bytes = int(f["bytes"])
    out = []
    w = out.append

    w("# omslint benchmark")
    w("")
    w(f"- date: {f.get('date', '?')}; git: {f.get('git_rev', '?')}; "
      f"omslint: {f.get('omslint_version') or f.get('omslint_status', '?')}")
    w(f"- machine: {f.get('cpu', '?')}, {f.get('mem', '?')} RAM, Linux {f.get('kernel', '?')}; "
      f"MariaDB {f.get('mariadb', '?')}; load average at start {f.get('loadavg', '?')}")
    files = ", ".join(
        f"{k[5:]}.sql {mb(int(v)):,.1f} MB" for k, v in f.items() if k.startswith("file_"))
    w(f"- data: `{f['dir']}` — {mb(n_bytes):,.1f} MB of dumps ({n_bytes / 2**30:.2f} GiB): {files}")
    if f.get("manual_server_settings"):
        w(f"- manual path server: {f['manual_server_settings']}")
    w("")

    omslint_wall = num(f, "omslint_large_wall")
    status = f.get("omslint_status", "not-built")

    def ratio(wall):
        if wall is None or not omslint_wall:
            return "—"
        return f"{wall / max(omslint_wall, 1e-4):.2f}×"

    w("| tool | wall s | MB/s | peak RSS MB | ratio vs omslint |")
    w("|---|---:|---:|---:|---:|")
    cat_wall = num(f, "cat_wall")
    w(f"| cat (I/O ceiling, warm cache) | {fmt_wall(cat_wall)} | {fmt(mbps(n_bytes, cat_wall))} | "
      f"{fmt(mib_from_kb(num(f, 'cat_rss_kb')))} | {ratio(cat_wall)} |")
    if status == "ok":
        runs = f.get("omslint_large_runs", "1")
        label = "omslint lint --format json" + (f" (median of {runs})" if runs != "1" else "")
        w(f"| {label} | {fmt_wall(omslint_wall)} | {fmt(mbps(n_bytes, omslint_wall))} | "
          f"{fmt(mib_from_kb(num(f, 'omslint_large_rss_kb')))} | 1.00× |")
    elif status == "not-built":
        w("| omslint: not built | — | — | — | — |")
    else:
        w(f"| omslint: FAILED (exit {f.get('omslint_large_rc', '?')}) | — | — | — | — |")

    manual_wall = None
    if f.get("manual_status") == "ok":
        load_wall = num(f, "manual_load_wall")
        q_wall = num(f, "manual_queries_wall")
        manual_wall = load_wall + q_wall
        client_rss = max(num(f, "manual_load_rss_kb") or 0, num(f, "manual_queries_rss_kb") or 0)
        server_rss = mib_from_kb(num(f, "manual_server_rss_kb"))
        w(f"| manual: mariadb load + guide SQL | {fmt_wall(manual_wall)} | {fmt(mbps(n_bytes, manual_wall))} | "
          f"client {fmt(mib_from_kb(client_rss))}, mariadbd {fmt(server_rss)} | {ratio(manual_wall)} |")
        w(f"| · manual: load only | {fmt_wall(load_wall)} | {fmt(mbps(n_bytes, load_wall))} | "
          f"{fmt(mib_from_kb(num(f, 'manual_load_rss_kb')))} | {ratio(load_wall)} |")
        w(f"| · manual: guide SQL only | {fmt_wall(q_wall)} | — | "
          f"{fmt(mib_from_kb(num(f, 'manual_queries_rss_kb')))} | {ratio(q_wall)} |")
    else:
        w("| manual: FAILED | — | — | — | — |")
    w("")
    for label in ("large", "small"):
        if f.get(f"omslint_{label}_error"):
            w(f"omslint on the {label} set exited {f.get(f'omslint_{label}_rc')}: `{f[f'omslint_{label}_error']}`")
            w("")

    omslint_mbps = mbps(n_bytes, omslint_wall) if status == "ok" else None
    cat_mbps = mbps(n_bytes, cat_wall)
    w("Ratios:")
    w("")
    if omslint_mbps is not None and cat_mbps:
        w(f"- omslint MB/s ÷ cat MB/s = {omslint_mbps / cat_mbps:.3f} "
          f"(omslint {fmt(omslint_mbps)} MB/s; target ≥ {TARGET_MBPS:.0f} MB/s: "
          f"{'met' if omslint_mbps >= TARGET_MBPS else 'not met'})")
    else:
        w("- omslint MB/s ÷ cat MB/s = — (omslint not measured)")
    if omslint_wall is not None and manual_wall is not None and status == "ok":
        speedup = manual_wall / max(omslint_wall, 1e-4)
        w(f"- manual wall ÷ omslint wall = {speedup:.1f}× "
          f"(target ≥ {TARGET_SPEEDUP:.0f}×: {'met' if speedup >= TARGET_SPEEDUP else 'not met'})")
    else:
        w("- manual wall ÷ omslint wall = — (not measured)")

    small_rss = mib_from_kb(num(f, "omslint_small_rss_kb"))
    large_rss = mib_from_kb(num(f, "omslint_large_rss_kb"))
    if small_rss is not None or large_rss is not None:
        parts = []
        if small_rss is not None:
            parts.append(f"{fmt(small_rss)} MB on {mb(int(f['small_bytes'])):,.0f} MB of dumps (small, "
                         f"{fmt_wall(num(f, 'omslint_small_wall'))} s)")
        else:
            parts.append("— on the small set")
        parts.append(f"{fmt(large_rss)} MB on {mb(n_bytes):,.0f} MB" if large_rss is not None
                     else "— on the large set")
        worst = max(x for x in (small_rss, large_rss) if x is not None)
        w(f"- memory flatness: omslint peak RSS {', '.join(parts)} (target < {TARGET_RSS_MIB:.0f} MB "
          f"at any size: {'met' if worst < TARGET_RSS_MIB else 'not met'})")
    else:
        w("- memory flatness: — (omslint not measured)")
    w("")

    walls = f.get("omslint_large_walls", "").split()
    if len(walls) > 1:
        w(f"omslint's {len(walls)} runs on the large set, wall s: {', '.join(walls)} "
          f"(the median is reported; peak RSS is the largest of the runs).")
        w("")
    if f.get("manual_status") == "ok":
        w("What the guides' queries returned (manual path): "
          f"{f.get('manual_rows_dup-oms_project')} duplicate-name groups in oms_project, "
          f"{f.get('manual_rows_dup-oms_sync_project')} in oms_sync_project, "
          f"{f.get('manual_rows_blackregionno')} config_job rows with blackRegionNo ≠ cm_location, "
          f"{f.get('manual_heartbeat_count')} heartbeat rows; ha.config `{f.get('manual_ha_config', '')}…`.")
        w("")
    gnu = [f"cat {f['cat_gnu_wall']} s"] if f.get("cat_gnu_wall") else []
    if f.get("omslint_large_gnu_wall"):
        gnu.append(f"omslint {f['omslint_large_gnu_wall']} s")
    w("How: each command runs under `/usr/bin/time -f '%e %M'`; wall = a nanosecond clock read "
      "around it (GNU time's `%e` has 10 ms resolution" + (f": {', '.join(gnu)}" if gnu else "") + "); "
      "peak RSS = `%M` in MiB (for the manual path the mariadb client's, and mariadbd's VmHWM); "
      "MB/s = total dump bytes (10^6) ÷ wall; cat and omslint read a warm page cache (cat's "
      f"first, cold-ish run: {fmt_wall(num(f, 'cat_cold_wall'))} s). The manual path excludes "
      "server start and stop. A report, not a test: no timing is asserted.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
