//! Paths as users see them: relative to the working directory when they
//! lie inside it. The one helper for messages, reports and diagnostics.

use std::path::Path;

/// `path` relative to the working directory when it is inside it (also
/// for a file that does not exist yet), else as given.
pub fn relative(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            let cwd = std::fs::canonicalize(cwd).ok()?;
            if let Ok(rel) = path.strip_prefix(&cwd) {
                return Some(rel.to_path_buf());
            }
            let abs = std::fs::canonicalize(path).ok().or_else(|| {
                // A file that does not exist yet: canonicalise its directory.
                let parent = std::fs::canonicalize(path.parent()?).ok()?;
                Some(parent.join(path.file_name()?))
            })?;
            abs.strip_prefix(&cwd).ok().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf());
    shown.display().to_string()
}
