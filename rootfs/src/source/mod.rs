//! One reader per image format, each feeding a [`Builder`]; [`read`] picks
//! the reader from the image's magic bytes (a directory is read as one).

mod cpio;
mod dir;
mod squashfs;
mod tar;

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use crate::detect::{self, CapState, Capped, Outer};
use crate::error::RootfsError;
use crate::tree::Tree;
use crate::{Format, Limits};

/// Reads the image at `path` into a frozen tree.
pub(crate) fn read(path: &Path, limits: Limits) -> Result<Tree, RootfsError> {
    let io_err = |source: io::Error| RootfsError::Io { file: path.to_path_buf(), at: None, source };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(RootfsError::Missing { file: path.to_path_buf() });
        }
        Err(e) => return Err(io_err(e)),
    };
    if meta.is_dir() {
        return dir::read(path, limits);
    }
    if !meta.is_file() {
        // A fifo would block the open, a device could stream forever.
        return Err(RootfsError::UnsupportedFormat {
            file: path.to_path_buf(),
            what: "neither a regular file nor a directory".into(),
        });
    }
    let file = File::open(path).map_err(io_err)?;
    read_stream(path, file, limits)
}

/// Reads an image file's bytes from `input`; `path` names it in errors.
pub(crate) fn read_stream<R: Read + Seek + Send>(
    path: &Path,
    mut input: R,
    limits: Limits,
) -> Result<Tree, RootfsError> {
    let io_err = |source: io::Error| RootfsError::Io { file: path.to_path_buf(), at: None, source };
    let head = detect::read_head(&mut input, 2048).map_err(io_err)?;
    input.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let outer = detect::classify(path, &head)?;
    if outer == Outer::Squashfs {
        return squashfs::read(path, input, limits);
    }
    let (decoder, compression) =
        detect::decompress(outer, BufReader::new(input)).map_err(io_err)?;
    let (mut capped, state) = Capped::new(decoder, limits.max_bytes);
    let layer = match compression {
        crate::Compression::None => "archive",
        crate::Compression::Gzip => "gzip",
        crate::Compression::Xz => "xz",
    };
    let inner_head =
        detect::read_head(&mut capped, 512).map_err(|e| stream_error(path, layer, &state, e))?;
    let format = detect::archive_format(path, &inner_head, compression)?;
    let stream = Cursor::new(inner_head).chain(capped);
    match format {
        Format::Tar(_) => tar::read(path, stream, state, format, limits),
        Format::Cpio(_) => cpio::read(path, stream, state, format, limits),
        Format::Directory | Format::Squashfs => unreachable!("archive_format names archives only"),
    }
}

/// Turns a failed read of a (decompressed) archive stream into the error
/// that says why: the cap, a premature end, or damage.
pub(crate) fn stream_error(
    file: &Path,
    format: impl ToString,
    cap: &CapState,
    err: io::Error,
) -> RootfsError {
    if cap.tripped() {
        // The parser may have wrapped the cap's error in its own message.
        return RootfsError::TooLarge { file: file.to_path_buf(), limit: cap.limit() };
    }
    let detail = err.to_string();
    // A parser failing after the stream ended failed because it ended,
    // whatever its message says.
    if err.kind() == io::ErrorKind::UnexpectedEof || cap.hit_eof() {
        RootfsError::Truncated { file: file.to_path_buf(), format: format.to_string(), detail }
    } else {
        RootfsError::Corrupt { file: file.to_path_buf(), format: format.to_string(), detail }
    }
}
