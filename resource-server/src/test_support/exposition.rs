//! A strict reader of the OpenMetrics text format (the subset a `prometheus_client`
//! registry writes), so tests can tell that `/metrics` is exposition text a scraper
//! accepts, not only that it contains a line.

use std::collections::HashMap;

/// One sample line: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Checks `text` line by line and returns its samples, or says which line is wrong
/// and why: each family declared once (`# HELP`, `# TYPE`) before its samples, sample
/// names that belong to their family's type, well-formed labels, numeric values, no
/// negative counter, and `# EOF` last.
pub fn check(text: &str) -> Result<Vec<Sample>, String> {
    let body = text.strip_suffix("# EOF\n").ok_or("the text does not end with `# EOF`")?;
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = Vec::new();
    for (number, line) in body.lines().enumerate() {
        let fail = |why: &str| format!("line {}: {why}: {line:?}", number + 1);
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            let (keyword, name, rest) = (parts.next(), parts.next(), parts.next());
            let name = name.filter(|name| is_metric_name(name)).ok_or_else(|| fail("bad metric name"))?;
            match (keyword, rest) {
                (Some("HELP"), Some(_)) | (Some("UNIT"), Some(_)) => {}
                (Some("TYPE"), Some(kind)) => {
                    if !["counter", "gauge", "histogram", "info", "unknown", "stateset", "summary"].contains(&kind) {
                        return Err(fail("unknown type"));
                    }
                    if types.insert(name.to_owned(), kind.to_owned()).is_some() {
                        return Err(fail("family declared twice"));
                    }
                }
                _ => return Err(fail("unknown comment")),
            }
            continue;
        }
        let sample = parse_sample(line).map_err(&fail)?;
        let kind = family_type(&types, &sample.name).ok_or_else(|| fail("sample of no declared family"))?;
        if kind == "counter" && (sample.value.is_nan() || sample.value < 0.0) {
            return Err(fail("a counter below zero or not a number"));
        }
        samples.push(sample);
    }
    Ok(samples)
}

/// The type of the family a sample name belongs to (`x_total` to counter `x`, ...).
fn family_type<'a>(types: &'a HashMap<String, String>, sample: &str) -> Option<&'a str> {
    let suffixes: &[(&str, &[&str])] = &[
        ("counter", &["_total", "_created"]),
        ("gauge", &[""]),
        ("unknown", &[""]),
        ("stateset", &[""]),
        ("info", &["_info"]),
        ("histogram", &["_bucket", "_sum", "_count", "_created"]),
        ("summary", &["", "_sum", "_count", "_created"]),
    ];
    suffixes.iter().find_map(|(kind, endings)| {
        endings.iter().find_map(|ending| {
            let family = sample.strip_suffix(ending)?;
            types.get(family).filter(|declared| declared == kind).map(String::as_str)
        })
    })
}

fn parse_sample(line: &str) -> Result<Sample, &'static str> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err("bad metric name");
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after_brace) = rest.strip_prefix('{') {
        rest = after_brace;
        while let Some(eq) = rest.find('=') {
            let label = &rest[..eq];
            if !is_label_name(label) {
                return Err("bad label name");
            }
            let (value, after) = quoted(&rest[eq + 1..])?;
            labels.push((label.to_owned(), value));
            if let Some(next) = after.strip_prefix(',') {
                rest = next;
            } else if after.starts_with('}') {
                rest = after;
                break;
            } else {
                return Err("labels not separated by commas");
            }
        }
        rest = rest.strip_prefix('}').ok_or("labels not closed")?;
    }
    let mut fields = rest.strip_prefix(' ').ok_or("no space before the value")?.split(' ');
    let value = fields.next().ok_or("no value")?;
    if value.contains('_') {
        return Err("a value with an underscore");
    }
    let value: f64 = value.parse().map_err(|_| "the value is not a number")?;
    match fields.next() {
        None => {}
        Some(timestamp) if timestamp.parse::<f64>().is_ok() && fields.next().is_none() => {}
        Some(_) => return Err("trailing text after the value"),
    }
    Ok(Sample { name: name.to_owned(), labels, value })
}

/// A double-quoted label value with `\\`, `\"` and `\n` escapes, and what follows it.
fn quoted(text: &str) -> Result<(String, &str), &'static str> {
    let mut chars = text.strip_prefix('"').ok_or("a label value without quotes")?.char_indices();
    let mut value = String::new();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[at + 2..])),
            '\\' => match chars.next() {
                Some((_, '\\')) => value.push('\\'),
                Some((_, '"')) => value.push('"'),
                Some((_, 'n')) => value.push('\n'),
                _ => return Err("a bad escape in a label value"),
            },
            '\n' => return Err("a new line in a label value"),
            other => value.push(other),
        }
    }
    Err("a label value not closed")
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_text_and_refuses_the_rest() {
        let good = "# HELP a_b A.\n# TYPE a_b counter\na_b_total{reason=\"x\\\"y\",k=\"\"} 3\n\
                    # TYPE g gauge\ng inf\n# EOF\n";
        let samples = check(good).unwrap();
        assert_eq!(samples[0].labels, [("reason".to_owned(), "x\"y".to_owned()), ("k".to_owned(), String::new())]);
        assert_eq!(samples[1].value, f64::INFINITY);
        for bad in [
            "# TYPE a counter\na_total 1\n",
            "a 1\n# EOF\n",
            "# TYPE a counter\na 1\n# EOF\n",
            "# TYPE a counter\na_total -1\n# EOF\n",
            "# TYPE a gauge\na one\n# EOF\n",
            "# TYPE a gauge\na{x=1} 1\n# EOF\n",
            "# TYPE a gauge\n# TYPE a gauge\n# EOF\n",
            "# TYPE a gauge\na{x=\"1\" 1\n# EOF\n",
            "# TYPE a gauge\na{x=\"1\"y=\"2\"} 1\n# EOF\n",
        ] {
            assert!(check(bad).is_err(), "accepted {bad:?}");
        }
    }
}
