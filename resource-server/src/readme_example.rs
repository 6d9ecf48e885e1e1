//! README.md's "Protecting your own service" shows `examples/protect_service.rs`, and
//! "Calling services from services" `examples/call_service.rs`, both of which `cargo
//! test` compiles: this keeps them from drifting apart.

const README: &str = include_str!("../../README.md");
const EXAMPLE: &str = include_str!("../examples/protect_service.rs");
const SECTION: &str = "## Protecting your own service";
const CLIENT_EXAMPLE: &str = include_str!("../examples/call_service.rs");
const CLIENT_SECTION: &str = "## Calling services from services";

/// The first ```` ```rust ```` block after `heading`, without its fences.
fn first_rust_block_after<'a>(markdown: &'a str, heading: &str) -> Option<&'a str> {
    let section = &markdown[markdown.find(heading)?..];
    let start = section.find("```rust\n")? + "```rust\n".len();
    let length = section[start..].find("\n```")? + 1;
    Some(&section[start..start + length])
}

fn assert_shown(section: &str, example: &str, file: &str) {
    let block = first_rust_block_after(README, section).expect("a rust code block in the README's section");
    let first_difference = block.lines().zip(example.lines()).position(|(shown, built)| shown != built);
    assert!(
        block == example,
        "README.md's code under {section:?} differs from {file} ({})",
        first_difference.map_or_else(|| "one is longer".to_owned(), |index| format!("first at line {}", index + 1))
    );
}

#[test]
fn the_readme_shows_the_example_as_it_is() {
    assert_shown(SECTION, EXAMPLE, "examples/protect_service.rs");
}

#[test]
fn the_readme_shows_the_client_example_as_it_is() {
    assert_shown(CLIENT_SECTION, CLIENT_EXAMPLE, "examples/call_service.rs");
}

#[test]
fn the_block_ends_at_its_closing_fence() {
    let markdown = "# x\n## Protecting your own service\ntext\n```rust\nfn main() {}\n```\n```rust\nother\n```\n";
    assert_eq!(first_rust_block_after(markdown, SECTION), Some("fn main() {}\n"));
    assert_eq!(first_rust_block_after("## Protecting your own service\n```toml\n```\n", SECTION), None);
}
