//! The data loader (torch.utils.data.DataLoader over a TensorDataset).

use crate::error::{check, Error, ErrorKind, Result};
use crate::ffi;
use crate::tensor::Tensor;
use std::ptr::{self, NonNull};

/// Batches over the rows of (inputs, targets), shuffled as torch shuffles
/// them for the same seed. Owns an `ember_dataloader` handle, freed on drop.
pub struct DataLoader {
    raw: NonNull<ffi::ember_dataloader>,
}


impl Drop for DataLoader {
    fn drop(&mut self) {
        unsafe { ffi::ember_dataloader_free(self.raw.as_ptr()) }
    }
}

impl DataLoader {
    /// DataLoader(TensorDataset(inputs, targets), batch_size, shuffle).
    pub fn new(inputs: &Tensor, targets: &Tensor, batch_size: i64, shuffle: bool) -> Result<DataLoader> {
        let mut out = ptr::null_mut();
        check(unsafe { ffi::ember_dataloader_new(inputs.as_ptr(), targets.as_ptr(), batch_size, shuffle, &mut out) })?;
        NonNull::new(out).map(|raw| DataLoader { raw }).ok_or_else(|| Error::new(ErrorKind::Internal, "the library returned no loader"))
    }

    pub fn as_ptr(&self) -> *mut ffi::ember_dataloader {
        self.raw.as_ptr()
    }

    /// The next batch, or None at the end of an epoch (the next call starts a new one).
    pub fn next_batch(&mut self) -> Result<Option<(Tensor, Tensor)>> {
        let (mut x, mut y) = (ptr::null_mut(), ptr::null_mut());
        check(unsafe { ffi::ember_dataloader_next(self.as_ptr(), &mut x, &mut y) })?;
        Ok(match unsafe { (Tensor::from_raw(x), Tensor::from_raw(y)) } {
            (Some(x), Some(y)) => Some((x, y)),
            _ => None,
        })
    }

    /// One epoch as an iterator: `for batch in loader.epoch() { let (x, y) = batch?; ... }`.
    pub fn epoch(&mut self) -> Epoch<'_> {
        Epoch { loader: self, done: false }
    }

    /// The number of batches per epoch (len(loader)).
    pub fn len(&self) -> Result<usize> {
        Ok(self.get("len")? as usize)
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Sets an option ("drop_last": 0 or 1).
    pub fn set(&self, name: &str, value: f64) -> Result<()> {
        let n = crate::cstring(name)?;
        check(unsafe { ffi::ember_dataloader_set(self.as_ptr(), n.as_ptr(), value) })
    }

    /// Reads an option or property ("drop_last", "batch_size", "shuffle", "num_samples", "len").
    pub fn get(&self, name: &str) -> Result<f64> {
        let n = crate::cstring(name)?;
        let mut v = 0.0;
        check(unsafe { ffi::ember_dataloader_get(self.as_ptr(), n.as_ptr(), &mut v) })?;
        Ok(v)
    }
}

/// The batches of one epoch; see [`DataLoader::epoch`].
pub struct Epoch<'a> {
    loader: &'a mut DataLoader,
    done: bool,
}

impl Iterator for Epoch<'_> {
    type Item = Result<(Tensor, Tensor)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.loader.next_batch() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl std::fmt::Debug for DataLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataLoader({:p})", self.raw.as_ptr())
    }
}
