//! The image's one layer: the gateway binary, the shared libraries it loads (its `ldd` closure:
//! glibc, libgcc; glibc ≥ 2.34 carries the `files` and `dns` name services itself), CA
//! certificates, and a non-root user whose home keeps SQLite when no database is configured.
//! The tar is reproducible (sorted entries, zero times, numeric owners), so the same binary
//! gives the same digests and a second push uploads nothing.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::{ImageError, Platform};

/// Where the binary lives in the image.
pub const BINARY_PATH: &str = "/usr/local/bin/switchboard";
/// The gateway's user (as in deploy/Dockerfile) and its home, the SQLite folder's parent.
pub const USER_ID: u32 = 10001;
pub const HOME: &str = "/var/lib/switchboard";
/// Debian's bundle of the Mozilla CA certificates; where the image keeps it too.
pub const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

#[derive(Debug, Clone)]
enum Entry {
    Dir { mode: u32, owner: u32 },
    File { mode: u32, bytes: Vec<u8> },
}

/// The layer's files by path (without the leading `/`).
#[derive(Debug, Default)]
pub struct Rootfs {
    entries: BTreeMap<String, Entry>,
}

impl Rootfs {
    fn dir(&mut self, path: &str, mode: u32, owner: u32) {
        self.entries.insert(path.trim_matches('/').to_string(), Entry::Dir { mode, owner });
    }

    /// A file, with its parent folders (0755, root's) unless they are there.
    fn file(&mut self, path: &str, mode: u32, bytes: Vec<u8>) {
        let path = path.trim_start_matches('/');
        let mut parent = Path::new(path).parent();
        while let Some(dir) = parent.filter(|d| !d.as_os_str().is_empty()) {
            self.entries.entry(dir.to_string_lossy().into_owned()).or_insert(Entry::Dir { mode: 0o755, owner: 0 });
            parent = dir.parent();
        }
        self.entries.insert(path.to_string(), Entry::File { mode, bytes });
    }

    /// The uncompressed tar (its digest is the image config's `diff_id`).
    pub fn tar(&self) -> Result<Vec<u8>, ImageError> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, entry) in &self.entries {
            let mut header = tar::Header::new_ustar();
            header.set_mtime(0);
            let (data, name): (&[u8], String) = match entry {
                Entry::Dir { mode, owner } => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_mode(*mode);
                    header.set_uid((*owner).into());
                    header.set_gid((*owner).into());
                    header.set_size(0);
                    (&[], format!("{path}/"))
                }
                Entry::File { mode, bytes } => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(*mode);
                    header.set_uid(0);
                    header.set_gid(0);
                    header.set_size(bytes.len() as u64);
                    (bytes.as_slice(), path.clone())
                }
            };
            builder
                .append_data(&mut header, &name, data)
                .map_err(|e| ImageError::Layer(format!("cannot add {name} to the layer: {e}")))?;
        }
        builder.into_inner().map_err(|e| ImageError::Layer(format!("cannot finish the layer: {e}")))
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// gzip with no name and no time in its header: the same tar gives the same bytes.
pub fn gzip(tar: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(tar.len() / 3), Compression::new(6));
    encoder
        .write_all(tar)
        .and_then(|()| encoder.finish())
        .map_err(|e| ImageError::Layer(format!("cannot compress the layer: {e}")))
}

/// Everything the gateway needs to run, as a root file system.
pub fn collect(binary: &Path, platform: Platform, ca_bundle: &Path) -> Result<Rootfs, ImageError> {
    let bytes =
        std::fs::read(binary).map_err(|e| ImageError::Binary(format!("cannot read {}: {e}", binary.display())))?;
    let found = elf_platform(&bytes)
        .ok_or_else(|| ImageError::Binary(format!("{} is not a Linux executable (ELF)", binary.display())))?;
    if found != platform {
        return Err(ImageError::Binary(format!(
            "{} is a {} build, and the stack runs {}: build the gateway for {} or choose the other CPU architecture",
            binary.display(),
            found.cpu(),
            platform.cpu(),
            platform.cpu()
        )));
    }
    let mut fs = Rootfs::default();
    for library in shared_libraries(binary)? {
        let content = std::fs::read(&library)
            .map_err(|e| ImageError::Binary(format!("cannot read the library {}: {e}", library.display())))?;
        fs.file(&library.to_string_lossy(), 0o755, content);
    }
    fs.file(BINARY_PATH, 0o755, bytes);
    let certificates = std::fs::read(ca_bundle).map_err(|e| {
        ImageError::Binary(format!(
            "cannot read the CA certificates {} ({e}): install ca-certificates or pass --ca-bundle",
            ca_bundle.display()
        ))
    })?;
    fs.file(CA_BUNDLE, 0o644, certificates);
    fs.file(
        "/etc/passwd",
        0o644,
        format!("root:x:0:0:root:/root:/usr/sbin/nologin\nswitchboard:x:{USER_ID}:{USER_ID}:Switchboard gateway:{HOME}:/usr/sbin/nologin\n").into_bytes(),
    );
    fs.file("/etc/group", 0o644, format!("root:x:0:\nswitchboard:x:{USER_ID}:\n").into_bytes());
    fs.file("/etc/nsswitch.conf", 0o644, b"passwd: files\ngroup: files\nhosts: files dns\n".to_vec());
    fs.file("/etc/hosts", 0o644, b"127.0.0.1\tlocalhost\n::1\tlocalhost\n".to_vec());
    fs.dir("/tmp", 0o1777, 0);
    fs.dir("/var/lib", 0o755, 0);
    fs.dir(HOME, 0o700, USER_ID);
    Ok(fs)
}

/// The CPU the Linux executable at `binary` is for (from its first bytes only).
pub fn binary_platform(binary: &Path) -> Result<Platform, ImageError> {
    use std::io::Read;
    let mut header = Vec::with_capacity(64);
    std::fs::File::open(binary)
        .and_then(|f| f.take(64).read_to_end(&mut header))
        .map_err(|e| ImageError::Binary(format!("cannot read {}: {e}", binary.display())))?;
    elf_platform(&header)
        .ok_or_else(|| ImageError::Binary(format!("{} is not a Linux executable (ELF)", binary.display())))
}

/// The CPU an ELF executable is for (its `e_machine`).
fn elf_platform(bytes: &[u8]) -> Option<Platform> {
    if bytes.get(..4)? != b"\x7fELF" {
        return None;
    }
    let little_endian = *bytes.get(5)? == 1;
    let machine: [u8; 2] = bytes.get(18..20)?.try_into().ok()?;
    let machine = if little_endian { u16::from_le_bytes(machine) } else { u16::from_be_bytes(machine) };
    match machine {
        0x3e => Some(Platform::Amd64),
        0xb7 => Some(Platform::Arm64),
        _ => None,
    }
}

/// The libraries the dynamic loader maps for `binary`, and the loader itself, from `ldd`
/// (none for a static binary).
fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>, ImageError> {
    let output = Command::new("ldd").arg(binary).output().map_err(|e| {
        ImageError::Binary(format!("cannot list the libraries of {} (ldd: {e}); use a static build", binary.display()))
    })?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        if text.contains("statically linked") || err.contains("not a dynamic executable") {
            return Ok(Vec::new());
        }
        return Err(ImageError::Binary(format!("ldd {}: {}", binary.display(), err.trim())));
    }
    parse_ldd(&text)
}

fn parse_ldd(text: &str) -> Result<Vec<PathBuf>, ImageError> {
    let mut found = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.contains("statically linked") || line.starts_with("linux-vdso") || line.starts_with("linux-gate") {
            continue;
        }
        if line.contains("=> not found") {
            return Err(ImageError::Binary(format!("a library of the binary is missing on this machine: {line}")));
        }
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` or `/lib64/ld-linux-x86-64.so.2 (0x...)`.
        let path = line.split_once("=>").map_or(line, |(_, right)| right.trim());
        let path = path.split(" (").next().unwrap_or(path).trim();
        if path.starts_with('/') {
            found.push(PathBuf::from(path));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_lines_name_the_libraries_and_the_loader() {
        let text = "\tlinux-vdso.so.1 (0x00007ffd5c3f2000)\n\
                    \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f0b1c7a0000)\n\
                    \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0b1c400000)\n\
                    \t/lib64/ld-linux-x86-64.so.2 (0x00007f0b1c7f0000)\n";
        assert_eq!(
            parse_ldd(text).unwrap(),
            ["/lib/x86_64-linux-gnu/libgcc_s.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]
                .map(PathBuf::from)
        );
        assert!(parse_ldd("\tstatically linked\n").unwrap().is_empty());
        let e = parse_ldd("\tlibfoo.so.1 => not found\n").unwrap_err().to_string();
        assert!(e.contains("libfoo.so.1"), "{e}");
    }

    #[test]
    fn the_cpu_comes_from_the_elf_header() {
        let mut header = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        header.resize(20, 0);
        header[18] = 0x3e;
        assert_eq!(elf_platform(&header), Some(Platform::Amd64));
        header[18] = 0xb7;
        assert_eq!(elf_platform(&header), Some(Platform::Arm64));
        assert_eq!(elf_platform(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn the_same_files_give_the_same_bytes() {
        let build = || {
            let mut fs = Rootfs::default();
            fs.file("/usr/local/bin/switchboard", 0o755, b"binary".to_vec());
            fs.file("/etc/passwd", 0o644, b"root:x:0:0::/root:/usr/sbin/nologin\n".to_vec());
            fs.dir(HOME, 0o700, USER_ID);
            gzip(&fs.tar().unwrap()).unwrap()
        };
        assert_eq!(build(), build());
        let mut fs = Rootfs::default();
        fs.file("/usr/local/bin/switchboard", 0o755, b"binary".to_vec());
        let paths: Vec<&str> = fs.paths().collect();
        assert_eq!(paths, ["usr", "usr/local", "usr/local/bin", "usr/local/bin/switchboard"]);
    }
}
