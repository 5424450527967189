//! `-install=PATH`: copies this executable to PATH, so that a Kubernetes init
//! container can put grpc-probe in a shared volume from an image that has no
//! `cp` (a scratch image holding only the static binary).
//!
//! The copy is atomic: a temporary file in the target directory is written,
//! flushed to disk and made executable (0755), then renamed over PATH, so a
//! probe never runs a half-written binary.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The installed file's mode: executable by anyone, as `cp` of a binary gives.
const MODE: u32 = 0o755;

/// The file name used when PATH is an existing directory.
const FILE_NAME: &str = "grpc-probe";

/// Why the copy failed, worded as what to fix.
#[derive(Debug)]
pub(crate) struct InstallError(String);

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Copies the running executable to `to` (or into it, named `grpc-probe`,
/// if it is a directory) and returns where it went.
pub(crate) fn install(to: &Path) -> Result<PathBuf, InstallError> {
    let target = if to.is_dir() {
        to.join(FILE_NAME)
    } else {
        to.to_owned()
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| InstallError(format!("{}: give a file path", target.display())))?;
    let mut source = open_self()?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(MODE)
        .open(&temp)
        .map_err(|e| cannot_write(&dir, &e))?;
    let copied = io::copy(&mut source, &mut file)
        .and_then(|_| file.sync_all())
        // The umask may have narrowed the mode given at creation.
        .and_then(|()| fs::set_permissions(&temp, fs::Permissions::from_mode(MODE)))
        .and_then(|()| fs::rename(&temp, &target));
    if let Err(e) = copied {
        // Best effort: the temporary file is useless now.
        let _ = fs::remove_file(&temp);
        return Err(cannot_write(&dir, &e));
    }
    // Make the rename itself durable; some file systems cannot sync a directory.
    let _ = File::open(&dir).and_then(|d| d.sync_all());
    Ok(target)
}

/// The running executable, opened through `/proc/self/exe` so that it is the
/// very file running even if its path has changed since.
fn open_self() -> Result<File, InstallError> {
    File::open("/proc/self/exe")
        .or_else(|_| std::env::current_exe().and_then(File::open))
        .map_err(|e| InstallError(format!("cannot read the running executable: {e}")))
}

/// Explains a failure to write in `dir`, saying what to fix.
fn cannot_write(dir: &Path, e: &io::Error) -> InstallError {
    let dir = dir.display();
    let fix = match e.kind() {
        ErrorKind::NotFound => format!(
            "directory {dir} does not exist; create it, or mount a volume there (an emptyDir in Kubernetes)"
        ),
        ErrorKind::NotADirectory => {
            format!("{dir} is not a directory; give a path inside a directory")
        }
        ErrorKind::ReadOnlyFilesystem => format!(
            "{dir} is on a read-only file system; install into a writable volume (an emptyDir in Kubernetes)"
        ),
        ErrorKind::PermissionDenied => format!(
            "no permission to create files in {dir}; install into a writable volume, or run as a user who may write there"
        ),
        ErrorKind::StorageFull => {
            format!("no space left in {dir}; free some or give the volume more room")
        }
        ErrorKind::AlreadyExists => {
            format!("a temporary file of another install is in {dir}; remove it and retry")
        }
        _ => format!("cannot write in {dir}"),
    };
    InstallError(format!("{fix} ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix_for(kind: ErrorKind) -> String {
        cannot_write(Path::new("/probe-bin"), &io::Error::from(kind)).to_string()
    }

    #[test]
    fn errors_say_what_to_fix() {
        assert!(fix_for(ErrorKind::NotFound).contains("/probe-bin does not exist; create it"));
        assert!(fix_for(ErrorKind::ReadOnlyFilesystem).contains("read-only file system"));
        assert!(fix_for(ErrorKind::ReadOnlyFilesystem).contains("writable volume"));
        assert!(fix_for(ErrorKind::PermissionDenied).contains("writable volume"));
        assert!(fix_for(ErrorKind::StorageFull).contains("no space left in /probe-bin"));
        assert!(fix_for(ErrorKind::NotADirectory).contains("not a directory"));
    }
}
