//! Statuses as `Result<_, Error>`.

use crate::ffi;
use std::ffi::CStr;
use std::fmt;

/// What kind of failure: one per `ember_status` (EMBER_ERR_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidArgument,
    InvalidHandle,
    Shape,
    DType,
    OutOfMemory,
    State,
    Io,
    Internal,
    /// A status this version of the crate does not know (a newer library).
    Other(i32),
}

impl ErrorKind {
    pub fn from_status(status: ffi::ember_status) -> ErrorKind {
        match status {
            ffi::EMBER_ERR_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
            ffi::EMBER_ERR_INVALID_HANDLE => ErrorKind::InvalidHandle,
            ffi::EMBER_ERR_SHAPE => ErrorKind::Shape,
            ffi::EMBER_ERR_DTYPE => ErrorKind::DType,
            ffi::EMBER_ERR_OUT_OF_MEMORY => ErrorKind::OutOfMemory,
            ffi::EMBER_ERR_STATE => ErrorKind::State,
            ffi::EMBER_ERR_IO => ErrorKind::Io,
            ffi::EMBER_ERR_INTERNAL => ErrorKind::Internal,
            other => ErrorKind::Other(other),
        }
    }

    /// The C status for this kind.
    pub fn status(self) -> ffi::ember_status {
        match self {
            ErrorKind::InvalidArgument => ffi::EMBER_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidHandle => ffi::EMBER_ERR_INVALID_HANDLE,
            ErrorKind::Shape => ffi::EMBER_ERR_SHAPE,
            ErrorKind::DType => ffi::EMBER_ERR_DTYPE,
            ErrorKind::OutOfMemory => ffi::EMBER_ERR_OUT_OF_MEMORY,
            ErrorKind::State => ffi::EMBER_ERR_STATE,
            ErrorKind::Io => ffi::EMBER_ERR_IO,
            ErrorKind::Internal => ffi::EMBER_ERR_INTERNAL,
            ErrorKind::Other(s) => s,
        }
    }
}

/// A failed call: its status and the library's message, which names the
/// function, the argument and the values involved
/// (`ember_matmul: shapes [2, 3] and [4, 2] cannot be multiplied`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

/// `std::result::Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }

    /// The error of a call that just returned `status`, with this thread's last error message.
    pub fn last(status: ffi::ember_status) -> Error {
        let message = unsafe { CStr::from_ptr(ffi::ember_last_error()) }.to_string_lossy().into_owned();
        Error { kind: ErrorKind::from_status(status), message }
    }

    /// The C status name ("EMBER_ERR_SHAPE").
    pub fn status_name(&self) -> String {
        unsafe { CStr::from_ptr(ffi::ember_status_name(self.kind.status())) }.to_string_lossy().into_owned()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status_name(), self.message)
    }
}

impl std::error::Error for Error {}

/// Ok for EMBER_OK, otherwise the error with the last message.
pub(crate) fn check(status: ffi::ember_status) -> Result<()> {
    if status == ffi::EMBER_OK { Ok(()) } else { Err(Error::last(status)) }
}
