//! State dicts and safetensors files (ember/io.h), when the library has them.

use crate::error::{check, Error, ErrorKind, Result};
use crate::ffi;
use crate::nn::Module;
use crate::tensor::Tensor;
use std::ptr::{self, NonNull};

/// An ordered map from names to tensors with string metadata: torch's
/// state_dict, and the contents of a safetensors file. Owns an
/// `ember_state_dict` handle, freed on drop.
pub struct StateDict {
    raw: NonNull<ffi::ember_state_dict>,
}


impl Drop for StateDict {
    fn drop(&mut self) {
        unsafe { ffi::ember_state_dict_free(self.raw.as_ptr()) }
    }
}

fn from(f: impl FnOnce(*mut *mut ffi::ember_state_dict) -> ffi::ember_status) -> Result<StateDict> {
    let mut out = ptr::null_mut();
    check(f(&mut out))?;
    NonNull::new(out).map(|raw| StateDict { raw }).ok_or_else(|| Error::new(ErrorKind::Internal, "the library returned no state dict"))
}

impl StateDict {
    pub fn new() -> Result<StateDict> {
        from(|out| unsafe { ffi::ember_state_dict_new(out) })
    }

    /// Reads a safetensors file (safetensors.torch.load_file).
    pub fn load(path: &str) -> Result<StateDict> {
        let p = crate::cstring(path)?;
        from(|out| unsafe { ffi::ember_state_dict_load(p.as_ptr(), out) })
    }

    /// Writes a safetensors file, byte for byte as the safetensors package does.
    pub fn save(&self, path: &str) -> Result<()> {
        let p = crate::cstring(path)?;
        check(unsafe { ffi::ember_state_dict_save(self.raw.as_ptr(), p.as_ptr()) })
    }

    /// module.state_dict().
    pub fn of_module(module: &Module) -> Result<StateDict> {
        from(|out| unsafe { ffi::ember_module_state_dict(module.as_ptr(), out) })
    }

    /// module.load_state_dict(self, strict).
    pub fn load_into(&self, module: &Module, strict: bool) -> Result<()> {
        check(unsafe { ffi::ember_module_load_state_dict(module.as_ptr(), self.raw.as_ptr(), strict, ptr::null_mut(), 0, ptr::null_mut()) })
    }

    pub fn len(&self) -> usize {
        unsafe { ffi::ember_state_dict_count(self.raw.as_ptr()) }.max(0) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, name: &str) -> Result<Tensor> {
        let n = crate::cstring(name)?;
        Tensor::from_call(|out| unsafe { ffi::ember_state_dict_get(self.raw.as_ptr(), n.as_ptr(), out) })
    }

    pub fn set(&self, name: &str, tensor: &Tensor) -> Result<()> {
        let n = crate::cstring(name)?;
        check(unsafe { ffi::ember_state_dict_set(self.raw.as_ptr(), n.as_ptr(), tensor.as_ptr()) })
    }

    /// The names, in order.
    pub fn keys(&self) -> Result<Vec<String>> {
        (0..self.len() as i64)
            .map(|i| crate::read_name(|buf, size| unsafe { ffi::ember_state_dict_at(self.raw.as_ptr(), i, buf, size, ptr::null_mut()) }))
            .collect()
    }

    pub fn as_ptr(&self) -> *mut ffi::ember_state_dict {
        self.raw.as_ptr()
    }
}

impl std::fmt::Debug for StateDict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateDict({:p})", self.raw.as_ptr())
    }
}
