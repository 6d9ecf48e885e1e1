//! `soak-latest.md` (verdict, answers by kind, latency per step, memory per process)
//! and `soak-latest.svg` (RSS over time, one line per process, the key rotations
//! marked), hand-written like the benchmark's SVG.

use std::fmt::Write;

use super::SoakResults;

pub fn markdown(r: &SoakResults) -> String {
    let mut out = String::new();
    let m = &r.machine;
    let verdict = if r.passed { "**PASS**" } else { "**FAIL**" };
    let _ = writeln!(out, "## Soak verdict: {verdict}{}\n", if r.quick { " (quick smoke run)" } else { "" });
    let flat = r.flatness.iter().filter(|f| f.flat).count();
    let _ = writeln!(
        out,
        "- {:.0} s, {} users paced {} ms: {} requests ({:.1}/s)\n- unexpected answers: **{}**\n- key rotations: {}\n- RSS flat after warm-up: {flat} of {} processes (last third's mean within {:.0}% or {:.0} MiB of the middle third's)",
        r.duration_s,
        r.users,
        r.pace_ms,
        r.requests,
        r.per_sec,
        r.unexpected,
        r.rotations
            .iter()
            .map(|x| format!(
                "{} at {:.0} s → HTTP {} (active kid `{}`)",
                x.replica,
                x.at_s,
                x.status.map_or_else(|| "none".to_owned(), |s| s.to_string()),
                x.active_kid.as_deref().map_or("?", |k| &k[..k.len().min(12)])
            ))
            .collect::<Vec<_>>()
            .join("; "),
        r.flatness.len(),
        r.growth_limit_pct,
        r.noise_floor_mib,
    );
    let _ = writeln!(out, "\n## Answers by kind\n");
    let _ = writeln!(out, "| step | answer | expected | count |\n|---|---|---|---:|");
    let mut kinds = r.kinds.clone();
    kinds.sort_by(|a, b| a.expected.cmp(&b.expected).then(a.step.cmp(&b.step)).then(a.outcome.cmp(&b.outcome)));
    for k in &kinds {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            k.step,
            k.outcome,
            if k.expected { "yes" } else { "**no**" },
            k.count
        );
    }
    if !r.unexpected_examples.is_empty() {
        let _ = writeln!(out, "\nFirst unexpected answers:\n");
        for e in &r.unexpected_examples {
            let _ = writeln!(out, "- `{}`", e.replace('`', "'"));
        }
    }
    let _ = writeln!(out, "\n## Latency by step\n");
    let _ = writeln!(out, "| step | answers | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|");
    for l in &r.latencies {
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.2} |",
            l.step, l.latency.samples, l.latency.p50_ms, l.latency.p99_ms, l.latency.max_ms
        );
    }
    let _ = writeln!(out, "\n## Resident memory (MiB)\n");
    let _ = writeln!(
        out,
        "| process | start | middle third (mean) | last third (mean) | growth | end | flat |\n|---|---:|---:|---:|---:|---:|---|"
    );
    let mib = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"));
    for f in &r.flatness {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            f.process,
            mib(f.start_mib),
            mib(f.warm_mib),
            mib(f.end_mib),
            f.growth_pct.map_or_else(|| "–".to_owned(), |g| format!("{g:+.1}%")),
            mib(f.last_mib),
            if f.flat { "yes" } else { "**no**" }
        );
    }
    let _ = writeln!(
        out,
        "\n## Machine\n\n{} CPUs ({}), {} GiB, kernel {}, {}; {}. Load average at start {}, at end {}.{}",
        m.cpus,
        m.cpu_model,
        m.memory_gib,
        m.kernel,
        m.rustc,
        m.date_utc,
        m.load_at_start,
        m.load_at_end,
        if r.beside.is_empty() { String::new() } else { format!(" Beside it: {}.", r.beside) }
    );
    out
}

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 50.0;
const COLOURS: [&str; 8] = ["#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#757575", "#ad1457"];

pub fn svg(r: &SoakResults) -> String {
    let series = &r.memory;
    let end = series.times_s.last().copied().unwrap_or(1.0).max(1.0);
    let peak = series.processes.iter().flat_map(|p| p.rss_mib.iter().flatten()).fold(0.0_f64, |a, b| a.max(*b));
    let top_mib = nice_ceiling(peak.max(1.0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x_of = |t: f64| LEFT + t / end * plot_w;
    let y_of = |mib: f64| TOP + plot_h - mib / top_mib * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="10" y="22" font-size="16" font-weight="bold">Soak: resident memory (VmRSS) over time{}</text>
<text x="10" y="40" fill="#555">{} · {} CPUs · {:.0} s · {} requests · {} unexpected · {}</text>
"##,
        if r.quick { " (quick)" } else { "" },
        escape(&r.machine.date_utc),
        r.machine.cpus,
        r.duration_s,
        r.requests,
        r.unexpected,
        if r.passed { "PASS" } else { "FAIL" }
    );
    // Grid: five MiB lines, a time line every minute (every 10 s in short runs).
    for i in 0..=5 {
        let mib = top_mib * f64::from(i) / 5.0;
        let y = y_of(mib);
        let _ =
            writeln!(svg, r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/>"##, LEFT + plot_w);
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{mib:.0}</text>"##,
            LEFT - 6.0,
            y + 4.0
        );
    }
    let step = if end > 120.0 { 60.0 } else { 10.0 };
    let mut t = 0.0;
    while t <= end + 0.01 {
        let x = x_of(t);
        let _ = writeln!(svg, r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#eee"/>"##, TOP + plot_h);
        let label = if step >= 60.0 { format!("{:.0} min", t / 60.0) } else { format!("{t:.0} s") };
        let _ = writeln!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555">{label}</text>"##,
            TOP + plot_h + 16.0
        );
        t += step;
    }
    let _ = writeln!(
        svg,
        r##"<text x="14" y="{:.1}" fill="#555" transform="rotate(-90 14 {:.1})" text-anchor="middle">MiB</text>"##,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
    // The thirds the verdict compares, and the rotations.
    for third in [end / 3.0, 2.0 * end / 3.0] {
        let x = x_of(third);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="2 4"/>"##,
            TOP + plot_h
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" fill="#999" text-anchor="middle">warm-up</text><text x="{:.1}" y="{:.1}" fill="#999" text-anchor="middle">compared</text><text x="{:.1}" y="{:.1}" fill="#999" text-anchor="middle">compared</text>"##,
        x_of(end / 6.0),
        TOP - 4.0,
        x_of(end / 2.0),
        TOP - 4.0,
        x_of(5.0 * end / 6.0),
        TOP - 4.0
    );
    for (i, rotation) in r.rotations.iter().enumerate() {
        let x = x_of(rotation.at_s);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#000" stroke-dasharray="5 3"/>"##,
            TOP + plot_h
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11">key rotation {} ({})</text>"##,
            x + 3.0,
            TOP + 12.0 + 12.0 * i as f64,
            i + 1,
            escape(&rotation.replica)
        );
    }
    for (i, process) in series.processes.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<String> = series
            .times_s
            .iter()
            .zip(&process.rss_mib)
            .filter_map(|(t, v)| v.map(|v| format!("{:.1},{:.1}", x_of(*t), y_of(v))))
            .collect();
        let _ = writeln!(
            svg,
            r##"<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{}"/>"##,
            points.join(" ")
        );
        let y = TOP + 10.0 + 18.0 * i as f64;
        let x = LEFT + plot_w + 14.0;
        let last =
            process.rss_mib.last().copied().flatten().map_or_else(|| "gone".to_owned(), |v| format!("{v:.1} MiB"));
        let _ = writeln!(svg, r##"<rect x="{x:.1}" y="{:.1}" width="12" height="4" fill="{colour}"/>"##, y - 4.0);
        let _ = writeln!(svg, r##"<text x="{:.1}" y="{y:.1}">{} ({last})</text>"##, x + 16.0, escape(&process.name));
    }
    svg.push_str("</svg>\n");
    svg
}

/// 1, 2 or 5 times a power of ten, at least `value`.
fn nice_ceiling(value: f64) -> f64 {
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|c| *c >= value).unwrap_or(10.0 * magnitude)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ceiling() {
        assert_eq!(nice_ceiling(37.0), 50.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(nice_ceiling(5.0), 5.0);
    }
}
