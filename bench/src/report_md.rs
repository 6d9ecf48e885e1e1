//! `latest.md`: the targets, growth from small to large state, every figure, Redis
//! commands per operation, revocation propagation, memory, machine.

use std::fmt::Write;

use crate::results::{Growth, GrowthRow, Results, Target};

pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let m = &results.machine;
    let s = &results.settings;
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| target | compared | measured | required | met |\n|---|---|---|---|---|");
    for t in &results.targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} {} | {} |",
            t.name,
            t.compared,
            value(t),
            if t.at_least { "≥" } else { "<" },
            number(t.required, &t.unit),
            verdict(t)
        );
    }
    if let Some(growth) = &results.growth {
        growth_table(&mut out, growth, results.settings.quick);
    }
    let _ = writeln!(out, "\n## Figures\n");
    let _ = writeln!(
        out,
        "| group | case | per second | p50 ms | p99 ms | failed | note |\n|---|---|---:|---:|---:|---:|---|"
    );
    for f in &results.figures {
        let rate = f.per_sec.map_or_else(|| "not available".to_owned(), |r| format!("{r:.0}"));
        let (p50, p99) = f
            .latency
            .map_or((String::new(), String::new()), |l| (format!("{:.2}", l.p50_ms), format!("{:.2}", l.p99_ms)));
        let _ = writeln!(
            out,
            "| {} | {} | {rate} | {p50} | {p99} | {} | {} |",
            f.group,
            f.label,
            f.failed,
            f.note.replace('|', "/")
        );
    }
    redis_table(&mut out, results);
    cpu_table(&mut out, results);
    let _ = writeln!(out, "\n## Revocation propagation\n");
    match &results.propagation {
        Some(p) if p.available => {
            let row = |name: &str, l: &Option<crate::stats::Latency>| {
                l.map_or(format!("| {name} | | | | |\n"), |l| {
                    format!("| {name} | {:.2} | {:.2} | {:.2} | {} |\n", l.p50_ms, l.p99_ms, l.max_ms, l.samples)
                })
            };
            let _ = writeln!(
                out,
                "{} revocations, {} local-mode resource servers, {} timeouts.\n",
                p.revocations, p.resource_servers, p.timeouts
            );
            let _ = writeln!(
                out,
                "| from the revoke answer to 401 | p50 ms | p99 ms | max ms | samples |\n|---|---:|---:|---:|---:|"
            );
            out.push_str(&row("each resource server", &p.each));
            out.push_str(&row("all three", &p.all));
        }
        Some(p) => {
            let _ = writeln!(out, "{}", p.note);
        }
        None => {
            let _ = writeln!(out, "not measured");
        }
    }
    let _ = writeln!(out, "\n## Resident memory (VmRSS)\n");
    let _ = writeln!(out, "| process | at rest MiB | peak under load MiB | peak during | idle after the run MiB |\n|---|---:|---:|---|---:|");
    for r in &results.memory {
        let mib = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.1}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            r.process,
            mib(r.at_rest_mib),
            mib(r.peak_mib),
            r.peak_during,
            mib(r.after_load_mib)
        );
    }
    if !results.notes.is_empty() {
        let _ = writeln!(out, "\n## Notes\n");
        for note in &results.notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    let _ = writeln!(out, "\n## Machine and run\n");
    let _ = writeln!(out, "- {} CPUs: {}; {} GiB memory; kernel {}", m.cpus, m.cpu_model, m.memory_gib, m.kernel);
    let _ = writeln!(out, "- {}; node {}; {}", m.rustc, m.node, m.openssl);
    let _ =
        writeln!(out, "- date {}; load average at start {} / at end {}", m.date_utc, m.load_at_start, m.load_at_end);
    let _ = writeln!(
        out,
        "- each case: {:.0} s warm-up + {:.0} s measured in {} slices (the figure is the best slice's rate; latencies over all), {} connections (password: 4 per CPU), load-generator threads {}{}",
        s.warmup_s, s.duration_s, s.rounds.max(1), s.connections, s.generator_threads, if s.quick { ", QUICK smoke run: not for comparison" } else { "" }
    );
    out
}

fn growth_table(out: &mut String, g: &Growth, quick: bool) {
    let _ = writeln!(out, "\n## Growth: small and large state\n");
    if g.scale < 1.0 {
        let _ = writeln!(
            out,
            "**{}The large state is scaled down to 1/{:.0} of the full one (1 000 000 users and sessions, 300 000 revocations).**\n",
            if quick { "QUICK run. " } else { "" },
            1.0 / g.scale
        );
    }
    let _ = writeln!(
        out,
        "Small: what the cases before left in the store. Large: {} users, {} live sessions (with their users' indexes) and {} revocations in force ({} of access tokens, {} of sessions) added, seeded into Redis in {:.1} s ({} commands). Read back: {}.\n",
        g.users,
        g.sessions,
        g.token_revocations + g.session_revocations,
        g.token_revocations,
        g.session_revocations,
        g.seed_seconds,
        g.seed_commands,
        g.verified
    );
    let _ = writeln!(
        out,
        "| case | small state | large state | large ÷ small | target | met |\n|---|---:|---:|---:|---|---|"
    );
    for row in &g.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {}{} | {} | {} | {} |",
            row.case,
            shown(row.small, row),
            shown(row.large, row),
            if row.note.is_empty() { String::new() } else { format!(" ({})", row.note) },
            row.ratio.map_or(String::new(), |r| format!("{r:.2}×")),
            if row.target.is_empty() { "reported" } else { &row.target },
            match row.met {
                Some(true) => "**met**",
                Some(false) => "**not met**",
                None if row.target.is_empty() => "",
                None => "not measured",
            }
        );
    }
    let state = |name: &str, s: &crate::results::StateFigures| {
        let n = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        format!(
            "- {name}: Redis {} keys, {:.0} MiB; {} revocations in force in the store{}\n",
            n(s.redis_keys),
            s.redis_used_mib.unwrap_or(0.0),
            n(s.revocations_in_store),
            if s.note.is_empty() { String::new() } else { format!("; {}", s.note) }
        )
    };
    out.push('\n');
    out.push_str(&state("small state", &g.small));
    out.push_str(&state("large state", &g.large));
}

fn shown(value: Option<f64>, row: &GrowthRow) -> String {
    match value {
        None => String::new(),
        Some(v) if row.unit == "/s" => format!("{v:.0}/s"),
        Some(v) if row.unit == "ms" || row.unit == "B" => format!("{v:.0} {}", row.unit),
        Some(v) => format!("{v:.1} {}", row.unit),
    }
}

fn redis_table(out: &mut String, results: &Results) {
    if results.redis.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Redis commands per operation\n");
    let _ = writeln!(
        out,
        "Calls in `INFO commandstats` of the private Redis across each case (warm-up included), commands run by scripts included, over the requests answered. The auth server's background calls (the revocation feed's polling, measured with no load before the cases and again before the growth cases: {:.1}/s the last time) are subtracted; the most called commands are counted with them.\n",
        results.redis_background_per_sec.unwrap_or(0.0)
    );
    let _ = writeln!(
        out,
        "| case | operations | commands | background subtracted | per operation | most called, per operation |\n|---|---:|---:|---:|---:|---|"
    );
    for r in &results.redis {
        let top: Vec<String> = r.top.iter().map(|(name, per)| format!("{name} {per:.2}")).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.0} | {:.2} | {} |",
            r.label,
            r.operations,
            r.commands,
            r.background,
            r.per_op,
            top.join(", ")
        );
    }
}

fn cpu_table(out: &mut String, results: &Results) {
    if results.cpu.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Where the CPU went\n");
    let _ = writeln!(
        out,
        "Each process's CPU time (user + system, `/proc/<pid>/stat`) over the whole case, warm-up included, as a share of the machine's capacity ({} CPUs × the time); *other* is the machine's busy time charged to none of them (the other processes, and kernel work such as loopback networking that ran outside them).\n",
        results.machine.cpus
    );
    let _ = writeln!(
        out,
        "| case | server under test | server | Redis | load generator | other | idle |\n|---|---|---:|---:|---:|---:|---:|"
    );
    let pct = |share: Option<f64>| share.map_or_else(String::new, |v| format!("{:.0} %", v * 100.0));
    for c in &results.cpu {
        let s = &c.shares;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.label,
            c.server.as_deref().unwrap_or("(started by the case)"),
            pct(s.server),
            pct(s.redis),
            pct(Some(s.generator)),
            pct(Some(s.other)),
            pct(Some(s.idle))
        );
    }
}

fn number(v: f64, unit: &str) -> String {
    match unit {
        "×" => format!("{v:.2}×"),
        "" => format!("{v:.0}"),
        unit => format!("{v:.1} {unit}"),
    }
}

fn value(t: &Target) -> String {
    t.value.map_or_else(|| "not available".to_owned(), |v| number(v, &t.unit))
}

fn verdict(t: &Target) -> &'static str {
    match t.met {
        Some(true) => "**met**",
        Some(false) => "**not met**",
        None => "not measured",
    }
}
