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

/// Opens each distinct path once, in path order. Returns all images, or
/// every error (in path order) if any image is bad.
pub fn validate<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
    limits: Limits,
) -> Result<ImageSet, Vec<RootfsError>> {
    let distinct: std::collections::BTreeSet<PathBuf> =
        paths.into_iter().map(|p| p.as_ref().to_path_buf()).collect();
    let mut images = BTreeMap::new();
    let mut errors = Vec::new();
    for path in distinct {
        match Image::open_with_limits(&path, limits) {
            Ok(image) => {
                images.insert(path, image);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(ImageSet { images }) } else { Err(errors) }
}
