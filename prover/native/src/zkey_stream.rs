//! Writing an iden3 binfile (.zkey) section by section into any `Write`, so a key GBs long
//! never exists whole in memory: each section is written as soon as it is made and then
//! dropped. The header's section count is known up front, and each section's size is given
//! before its payload (the caller knows it), so nothing is patched and no seek is needed.
use std::io::{self, Write};

pub struct BinWriter<W: Write> {
    out: W,
    /// bytes still owed to the section begun last (checked: a wrong size would corrupt the file)
    owed: u64,
}

impl<W: Write> BinWriter<W> {
    /// Magic, version 1, section count.
    pub fn new(mut out: W, magic: &[u8; 4], n_sections: u32) -> io::Result<Self> {
        out.write_all(magic)?;
        out.write_all(&1u32.to_le_bytes())?;
        out.write_all(&n_sections.to_le_bytes())?;
        Ok(BinWriter { out, owed: 0 })
    }

    /// Start a section of `size` payload bytes; `put` them next.
    pub fn begin(&mut self, kind: u32, size: u64) -> io::Result<()> {
        assert_eq!(self.owed, 0, "previous section short of its declared size");
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&size.to_le_bytes())?;
        self.owed = size;
        Ok(())
    }

    pub fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        assert!(bytes.len() as u64 <= self.owed, "section longer than its declared size");
        self.owed -= bytes.len() as u64;
        self.out.write_all(bytes)
    }

    /// A whole section at once.
    pub fn section(&mut self, kind: u32, payload: &[u8]) -> io::Result<()> {
        self.begin(kind, payload.len() as u64)?;
        self.put(payload)
    }

    pub fn finish(mut self) -> io::Result<W> {
        assert_eq!(self.owed, 0, "last section short of its declared size");
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Payload writes: `write_all` into the section begun last.
impl<W: Write> Write for BinWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.put(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
