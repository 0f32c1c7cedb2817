//! The tree stays what it says: the README's Layout section names every
//! file and folder at the top of `src/`, `tests/`, `scripts/` and `docs/`
//! (a newcomer's map cannot silently go stale), and every Rust file is
//! reached by a `mod` line (a new one cannot silently go unbuilt).

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

/// The crates' root folders, each with the files that may declare its
/// top-level modules.
const CRATE_ROOTS: [(&str, &[&str]); 3] = [
    ("src", &["lib.rs", "main.rs"]),
    ("migration/src", &["lib.rs"]),
    ("tests/api", &["main.rs"]),
];

/// The files that may declare the modules of folder `dir`: a crate root's,
/// or `dir/mod.rs`, or `dir.rs` beside it (both layouts are used).
fn declaring_files(dir: &Path) -> Vec<std::path::PathBuf> {
    for (root, files) in CRATE_ROOTS {
        if dir == Path::new(ROOT).join(root) {
            return files.iter().map(|f| dir.join(f)).collect();
        }
    }
    vec![dir.join("mod.rs"), dir.with_extension("rs")]
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// Rust compiles only the files a `mod` line reaches: a new file left
/// undeclared (a resource's tests above all) would silently never build
/// or run.
#[test]
fn every_rust_file_is_declared_by_its_parent_module() {
    let mut files = Vec::new();
    for (root, _) in CRATE_ROOTS {
        rust_files(&Path::new(ROOT).join(root), &mut files);
    }
    let mut undeclared = Vec::new();
    for file in &files {
        let dir = file.parent().unwrap();
        let stem = file.file_stem().unwrap().to_str().unwrap();
        // `x/mod.rs` is the module `x`, declared where `x.rs` would be.
        let (name, declared_in) = if stem == "mod" {
            let name = dir.file_name().unwrap().to_str().unwrap();
            (name, declaring_files(dir.parent().unwrap()))
        } else {
            (stem, declaring_files(dir))
        };
        if declared_in.contains(file) {
            // A crate root itself, or a folder's own module file.
            continue;
        }
        let line = format!("mod {name};");
        let declared = declared_in.iter().any(|d| {
            std::fs::read_to_string(d).is_ok_and(|text| {
                text.lines()
                    .any(|l| l.trim_start().ends_with(&line) && !l.trim_start().starts_with("//"))
            })
        });
        if !declared {
            undeclared.push(file.strip_prefix(ROOT).unwrap().display().to_string());
        }
    }
    assert!(files.len() > 100, "found only {} files", files.len());
    assert!(
        undeclared.is_empty(),
        "no `mod` line declares: {undeclared:?}"
    );
}
