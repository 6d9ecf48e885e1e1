//! `latest.svg`, hand-written SVG (no font backend needed): on top, how far each
//! target is from being met (100% = just met); below, every rate on a log scale with
//! ceilings, our cases and the peer in distinct colours.

use std::fmt::Write;

use crate::results::{Results, Target};

const WIDTH: f64 = 1000.0;
const LABEL_W: f64 = 430.0;
const BAR_W: f64 = 470.0;
const ROW: f64 = 22.0;

pub fn render(results: &Results) -> String {
    let targets: Vec<&Target> = results.targets.iter().collect();
    let rates: Vec<_> = results.figures.iter().filter(|f| f.group != "probe").collect();
    let top = 60.0;
    let targets_h = targets.len() as f64 * ROW;
    let rates_top = top + targets_h + 70.0;
    let height = rates_top + rates.len() as f64 * ROW + 40.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="10" y="24" font-size="16" font-weight="bold">Targets: share reached (100% = met)</text>
<text x="10" y="42" fill="#555">{} · {} CPUs · {}{}</text>
"##,
        escape(&results.machine.date_utc),
        results.machine.cpus,
        escape(&results.machine.cpu_model),
        if results.settings.quick { " · QUICK smoke run" } else { "" }
    );
    // Targets: bar = share of the target reached, capped at 150%.
    let scale = BAR_W / 1.5;
    for (i, t) in targets.iter().enumerate() {
        let y = top + i as f64 * ROW;
        let share = t.value.map(|v| {
            if t.at_least {
                v / t.required
            } else if v > 0.0 {
                t.required / v
            } else {
                1.5
            }
        });
        let colour = match t.met {
            Some(true) => "#2e7d32",
            Some(false) => "#c62828",
            None => "#9e9e9e",
        };
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + 14.0,
            escape(&t.name)
        );
        let width = share.map_or(0.0, |s| s.clamp(0.0, 1.5) * scale);
        let _ = writeln!(
            svg,
            r#"<rect x="{LABEL_W}" y="{}" width="{width:.1}" height="{}" fill="{colour}"/>"#,
            y + 3.0,
            ROW - 6.0
        );
        let text = share.map_or_else(|| "not measured".to_owned(), |s| format!("{:.0}%", s * 100.0));
        let _ = writeln!(svg, r#"<text x="{:.1}" y="{}">{text}</text>"#, LABEL_W + width + 6.0, y + 14.0);
    }
    let line_x = LABEL_W + scale;
    let _ = writeln!(
        svg,
        r##"<line x1="{line_x}" y1="{}" x2="{line_x}" y2="{}" stroke="#000" stroke-dasharray="4 3"/>"##,
        top - 4.0,
        top + targets_h
    );
    let _ = writeln!(svg, r#"<text x="{line_x}" y="{}" text-anchor="middle">100%</text>"#, top + targets_h + 14.0);

    // Rates on a log scale from 10/s to 1 000 000/s.
    let _ = writeln!(
        svg,
        r#"<text x="10" y="{}" font-size="16" font-weight="bold">Requests or operations per second (log scale)</text>"#,
        rates_top - 24.0
    );
    let (lo, hi) = (1.0_f64, 6.0_f64);
    let x_of = |rate: f64| LABEL_W + (rate.max(10.0).log10() - lo) / (hi - lo) * BAR_W;
    for decade in 1..=6 {
        let x = x_of(10f64.powi(decade));
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#ddd"/>"##,
            rates_top - 4.0,
            rates_top + rates.len() as f64 * ROW
        );
        let _ = writeln!(
            svg,
            r##"<text x="{x:.1}" y="{}" text-anchor="middle" fill="#555">1e{decade}</text>"##,
            rates_top + rates.len() as f64 * ROW + 14.0
        );
    }
    for (i, f) in rates.iter().enumerate() {
        let y = rates_top + i as f64 * ROW;
        let colour = match f.group.as_str() {
            "ceiling" => "#757575",
            "peer" => "#ef6c00",
            _ => "#1565c0",
        };
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + 14.0,
            escape(&truncate(&f.label, 64))
        );
        match f.per_sec {
            Some(rate) => {
                let width = x_of(rate) - LABEL_W;
                let _ = writeln!(
                    svg,
                    r#"<rect x="{LABEL_W}" y="{}" width="{width:.1}" height="{}" fill="{colour}"/>"#,
                    y + 3.0,
                    ROW - 6.0
                );
                let _ = writeln!(svg, r#"<text x="{:.1}" y="{}">{rate:.0}</text>"#, LABEL_W + width + 6.0, y + 14.0);
            }
            None => {
                let _ = writeln!(
                    svg,
                    r##"<text x="{}" y="{}" fill="#9e9e9e">not available</text>"##,
                    LABEL_W + 4.0,
                    y + 14.0
                );
            }
        }
    }
    let legend_y = height - 12.0;
    let _ = writeln!(
        svg,
        r##"<text x="10" y="{legend_y}"><tspan fill="#757575">■ ceiling</tspan>  <tspan fill="#1565c0">■ ours</tspan>  <tspan fill="#ef6c00">■ peer (node oidc-provider)</tspan></text>"##
    );
    svg.push_str("</svg>\n");
    svg
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
