//! The check the runner makes before any cell runs: open every image a
//! matrix names, once each, and report every bad one (file and reason)
//! together, so a configuration error surfaces before work starts. The
//! opened images are kept in an [`ImageSet`] for the cells to share.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Image, Limits, RootfsError};

/// Images opened by [`validate`], keyed by the path they were named by.
#[derive(Debug, Clone, Default)]
pub struct ImageSet {
    images: BTreeMap<PathBuf, Image>,
}

impl ImageSet {
    /// The image opened for `path` (spelled as it was given to [`validate`]).
    pub fn get(&self, path: impl AsRef<Path>) -> Option<&Image> {
        self.images.get(path.as_ref())
    }

    /// Every image, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &Image)> {
        self.images.iter().map(|(p, i)| (p.as_path(), i))
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether no image was opened.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

/// Opens each distinct path once, several at a time (decompressing an
/// image is the long part, and images are independent). Returns all
/// images, or every error (in path order) if any image is bad.
pub fn validate<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
    limits: Limits,
) -> Result<ImageSet, Vec<RootfsError>> {
    let distinct: Vec<PathBuf> = paths
        .into_iter()
        .map(|p| p.as_ref().to_path_buf())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(distinct.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let open_some = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(path) = distinct.get(i) else { return done };
            done.push((i, Image::open_with_limits(path, limits)));
        }
    };
    let mut opened: Vec<(usize, Result<Image, RootfsError>)> = if workers <= 1 {
        open_some()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers).map(|_| s.spawn(open_some)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    // Back in path order, whichever worker opened what.
    opened.sort_by_key(|(i, _)| *i);
    let mut images = BTreeMap::new();
    let mut errors = Vec::new();
    for (path, (_, result)) in distinct.into_iter().zip(opened) {
        match result {
            Ok(image) => {
                images.insert(path, image);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(ImageSet { images }) } else { Err(errors) }
}
