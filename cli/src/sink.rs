//! stdout and stderr that never panic and never lie about the exit status.
//!
//! `print!`/`eprint!` panic when the stream fails (stderr on `/dev/full`, stdout into a closed
//! pipe), and with `panic = "abort"` the process then dies with SIGABRT. Every byte guestnet
//! prints goes through a [`Sink`] instead: a closed pipe (`EPIPE`, e.g. `guestnet ... | head
//! -1`) silently stops that stream and the run ends with the status it would have had; any
//! other write error is remembered and turns the exit status into 2.

use std::io::{self, Write};

/// Which standard stream a sink writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What happened to a stream so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// The reader went away: stop writing, say nothing.
    Closed,
    /// A real write error (disk full, I/O error): exit 2.
    Failed(io::ErrorKind),
}

/// A buffered standard stream that records its first failure instead of panicking.
pub struct Sink {
    stream: Stream,
    inner: Box<dyn Write + Send>,
    health: Health,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("stream", &self.stream)
            .field("health", &self.health)
            .finish()
    }
}

impl Sink {
    pub fn new(stream: Stream) -> Sink {
        let inner: Box<dyn Write + Send> = match stream {
            Stream::Stdout => Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout())),
            Stream::Stderr => Box::new(io::BufWriter::with_capacity(1 << 16, io::stderr())),
        };
        Sink {
            stream,
            inner,
            health: Health::Ok,
        }
    }

    /// A sink over any writer (tests, fuzzing).
    pub fn to_writer(stream: Stream, w: Box<dyn Write + Send>) -> Sink {
        Sink {
            stream,
            inner: w,
            health: Health::Ok,
        }
    }

    pub fn stream(&self) -> Stream {
        self.stream
    }

    pub fn health(&self) -> Health {
        self.health
    }

    fn record(&mut self, e: &io::Error) {
        if self.health == Health::Ok {
            self.health = if e.kind() == io::ErrorKind::BrokenPipe {
                Health::Closed
            } else {
                Health::Failed(e.kind())
            };
        }
    }

    pub fn write_str(&mut self, s: &str) {
        self.write_bytes(s.as_bytes());
    }

    pub fn write_bytes(&mut self, b: &[u8]) {
        if self.health != Health::Ok || b.is_empty() {
            return;
        }
        if let Err(e) = self.inner.write_all(b) {
            self.record(&e);
        }
    }

    pub fn flush(&mut self) {
        if self.health != Health::Ok {
            return;
        }
        if let Err(e) = self.inner.flush() {
            self.record(&e);
        }
    }
}

/// Somewhere text goes: a [`Sink`], or a `String` (tests, whole reports).
pub trait TextOut {
    fn write_str(&mut self, s: &str);
}

impl TextOut for Sink {
    fn write_str(&mut self, s: &str) {
        Sink::write_str(self, s);
    }
}

impl TextOut for String {
    fn write_str(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// Both standard streams of one run.
#[derive(Debug)]
pub struct Io {
    pub out: Sink,
    pub err: Sink,
}

impl Io {
    pub fn std() -> Io {
        Io {
            out: Sink::new(Stream::Stdout),
            err: Sink::new(Stream::Stderr),
        }
    }

    pub fn sink(&mut self, s: Stream) -> &mut Sink {
        match s {
            Stream::Stdout => &mut self.out,
            Stream::Stderr => &mut self.err,
        }
    }

    /// Flushes both streams and turns their health into the final exit status: a write error
    /// other than a closed pipe makes it 2 (and is reported on stderr when stderr still works).
    pub fn finish(&mut self, status: u8) -> u8 {
        self.out.flush();
        self.err.flush();
        let mut status = status;
        for (name, h) in [("stdout", self.out.health), ("stderr", self.err.health)] {
            if let Health::Failed(kind) = h {
                status = 2;
                let msg = format!(
                    "guestnet: cannot write to {name}: {}\n",
                    io::Error::from(kind)
                );
                self.err.write_str(&msg);
                self.err.flush();
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken(io::ErrorKind);
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn broken_pipe_is_quiet_and_other_errors_exit_two() {
        let mut io = Io {
            out: Sink::to_writer(Stream::Stdout, Box::new(Broken(io::ErrorKind::BrokenPipe))),
            err: Sink::to_writer(Stream::Stderr, Box::new(Vec::new())),
        };
        io.out.write_str("x");
        io.out.write_str("y");
        assert_eq!(io.out.health(), Health::Closed);
        assert_eq!(io.finish(1), 1);
        let mut io = Io {
            out: Sink::to_writer(Stream::Stdout, Box::new(Broken(io::ErrorKind::StorageFull))),
            err: Sink::to_writer(Stream::Stderr, Box::new(Broken(io::ErrorKind::StorageFull))),
        };
        io.out.write_str("x");
        io.err.write_str("y");
        assert_eq!(io.finish(0), 2);
    }
}
