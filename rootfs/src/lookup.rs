//! Path resolution inside an [`Image`], as Linux's `path_walk` does it but
//! confined to the image: an absolute path or symlink target starts at the
//! image root, `..` at the root stays there, a symlink's relative target
//! starts in the directory holding the link, and a lookup that follows more
//! than [`MAX_SYMLINK_HOPS`] links fails with [`LookupError::Loop`].
//!
//! One lookup costs at most about 40 × `PATH_MAX` component steps, as in
//! Linux. Checking every symlink of an image when it is opened multiplies
//! that by the number of links, so [`resolve_counted`] also counts steps
//! against a budget: a crafted image cannot make opening it take hours.

use crate::error::LookupError;
use crate::tree::{NAME_MAX, NodeKind, PATH_MAX};
use crate::{Follow, Image, InodeId, MAX_SYMLINK_HOPS};

pub(crate) fn resolve(
    image: &Image,
    start: InodeId,
    path: &[u8],
    follow: Follow,
) -> Result<InodeId, LookupError> {
    let mut budget = u64::MAX;
    resolve_counted(image, start, path, follow, &mut budget).map_err(|stop| match stop {
        Stop::Lookup(e) => e,
        Stop::OutOfSteps => unreachable!("a single lookup takes far fewer than u64::MAX steps"),
    })
}

/// Why a counted walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Lookup(LookupError),
    /// The step budget ran out.
    OutOfSteps,
}

impl From<LookupError> for Stop {
    fn from(e: LookupError) -> Stop {
        Stop::Lookup(e)
    }
}

/// [`resolve`], taking one unit of `budget` per path component walked.
pub(crate) fn resolve_counted(
    image: &Image,
    start: InodeId,
    path: &[u8],
    follow: Follow,
    budget: &mut u64,
) -> Result<InodeId, Stop> {
    let mut hops = 0;
    walk(image, start, path, follow == Follow::Final, &mut hops, budget)
}

/// Resolves `path` from `start`; recursion happens only through symlinks,
/// so its depth is bounded by the hop limit.
fn walk(
    image: &Image,
    start: InodeId,
    path: &[u8],
    follow_final: bool,
    hops: &mut u32,
    budget: &mut u64,
) -> Result<InodeId, Stop> {
    if path.is_empty() {
        return Err(LookupError::NotFound.into());
    }
    if path.len() > PATH_MAX {
        return Err(LookupError::NameTooLong.into());
    }
    let mut cur = if path[0] == b'/' { image.root() } else { start };
    let trailing_slash = path.ends_with(b"/");
    let mut comps = path.split(|&b| b == b'/').filter(|c| !c.is_empty()).peekable();
    while let Some(name) = comps.next() {
        let last = comps.peek().is_none();
        *budget = budget.checked_sub(1).ok_or(Stop::OutOfSteps)?;
        // Every component, even `.`, needs a directory to be looked up in.
        let parent = image.parent(cur)?;
        let next = match name {
            b"." => cur,
            b".." => parent,
            _ if name.len() > NAME_MAX => return Err(LookupError::NameTooLong.into()),
            _ => image.child(cur, name)?.ok_or(LookupError::NotFound)?,
        };
        cur = match image.inode(next).kind() {
            NodeKind::Symlink(target) if !last || follow_final || trailing_slash => {
                *hops += 1;
                if *hops > MAX_SYMLINK_HOPS {
                    return Err(LookupError::Loop.into());
                }
                walk(image, cur, target, true, hops, budget)?
            }
            _ => next,
        };
    }
    if trailing_slash && !image.inode(cur).is_dir() {
        return Err(LookupError::NotADirectory.into());
    }
    Ok(cur)
}
