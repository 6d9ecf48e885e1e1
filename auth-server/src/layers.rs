//! The layering rules, checked on the source: `http` parses and answers; the protocol
//! logic (`grants`, `oauth`, `keys`, `admin`) knows nothing of actix; `store` knows
//! nothing of HTTP or of the logic above it. Only start-up (`setup/startup.rs`) wires
//! the layers together.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as paths relative to `src/` with `/` separators.
fn sources(src: &Path, dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read the source directory") {
        let path: PathBuf = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(src, &path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("read a source file");
            found.push((relative, text));
        }
    }
}

fn is_test_code(path: &str) -> bool {
    path.contains("/tests/") || path.ends_with("/tests.rs") || path.starts_with("test_support")
}

#[test]
fn only_the_http_layer_and_start_up_know_actix_and_http() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    assert!(files.len() > 50, "the walk found the sources: {}", files.len());
    let wiring = |path: &str| {
        path.starts_with("http/") || path == "setup/startup.rs" || path == "main.rs" || path.starts_with("admin_cli/")
    };
    let mut broken = Vec::new();
    for (path, text) in &files {
        if is_test_code(path) || path == "layers.rs" {
            continue;
        }
        if !wiring(path) && (text.contains("actix_web") || text.contains("crate::http")) {
            broken.push(format!("{path}: only http/ and start-up may use actix or the http layer"));
        }
        let logic = ["crate::http", "crate::grants", "crate::admin", "crate::oauth::authority", "crate::oauth::tokens"];
        if path.starts_with("store/") && logic.iter().any(|m| text.contains(m)) {
            broken.push(format!("{path}: the store knows nothing of the layers above it"));
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}
