//! `latest.md`: the targets, every figure, revocation propagation, memory, machine.

use std::fmt::Write;

use crate::results::{Results, Target};

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
