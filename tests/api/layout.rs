//! The README's Layout section names every file and folder at the top of
//! `src/`, `tests/`, `scripts/` and `docs/`, so a newcomer's map of the tree
//! cannot silently go stale.

use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The fenced block under `## Layout`.
fn layout_block() -> String {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let section = readme
        .split("\n## Layout\n")
        .nth(1)
        .expect("README.md has a ## Layout section");
    section
        .split("```")
        .nth(1)
        .expect("the Layout section has a code block")
        .to_owned()
}

#[test]
fn readme_layout_names_every_top_level_entry() {
    let block = layout_block();
    let mut missing = Vec::new();
    for top in ["src", "tests", "scripts", "docs"] {
        for e in std::fs::read_dir(Path::new(ROOT).join(top)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "__pycache__" {
                // Python's byte-code cache (ignored by git), not a part of the tree.
                continue;
            }
            let is_dir = e.file_type().unwrap().is_dir();
            // A file as `src/main.rs`, a folder as `src/db/`.
            let shown = if is_dir {
                format!("{top}/{name}/")
            } else if top == "docs" {
                // docs/ is listed as one line naming its files.
                name.clone()
            } else {
                format!("{top}/{name}")
            };
            if !block.contains(&shown) {
                missing.push(shown);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README.md's Layout does not name: {missing:?}"
    );
}
