//! torch.autograd.grad and custom differentiable functions.

use crate::error::{check, Error, ErrorKind, Result};
use crate::ffi;
use crate::tensor::Tensor;
use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, NonNull};

fn raw_list(ts: &[&Tensor]) -> Vec<*const ffi::ember_tensor> {
    ts.iter().map(|t| t.as_ptr() as *const _).collect()
}

/// The gradients of `outputs` with respect to `inputs` (torch.autograd.grad),
/// without touching any `.grad`. With `allow_unused`, an input the outputs do
/// not depend on gives None.
pub fn grad(outputs: &[&Tensor], inputs: &[&Tensor], retain_graph: bool, create_graph: bool, allow_unused: bool) -> Result<Vec<Option<Tensor>>> {
    let outs = raw_list(outputs);
    let ins = raw_list(inputs);
    let mut grads = vec![ptr::null_mut(); inputs.len()];
    check(unsafe {
        ffi::ember_autograd_grad(outs.as_ptr(), outs.len() as i64, ptr::null(), ins.as_ptr(), ins.len() as i64, retain_graph, create_graph,
                                 allow_unused, grads.as_mut_ptr())
    })?;
    Ok(grads.into_iter().map(|g| unsafe { Tensor::from_raw(g) }).collect())
}

/// A borrowed handle seen as a `&Tensor` for the duration of a callback.
pub(crate) fn borrowed(raw: *const ffi::ember_tensor) -> ManuallyDrop<Tensor> {
    ManuallyDrop::new(unsafe { Tensor::from_raw(raw as *mut _) }.expect("the library passes live handles"))
}

/// Runs a Rust callback for the library: its error (or a panic) becomes a
/// status and the thread's last error.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> ffi::ember_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => ffi::EMBER_OK,
        Ok(Err(e)) => {
            set_last_error(&e.message);
            e.kind.status()
        }
        Err(panic) => {
            let msg = panic.downcast_ref::<String>().cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a Rust callback panicked".into());
            set_last_error(&msg);
            ffi::EMBER_ERR_STATE
        }
    }
}

pub(crate) fn set_last_error(message: &str) {
    let c = std::ffi::CString::new(message.replace('\0', " ")).unwrap();
    unsafe { ffi::ember_set_last_error(c.as_ptr()) }
}

pub(crate) unsafe extern "C" fn drop_box<T>(user_data: *mut c_void) {
    drop(Box::from_raw(user_data as *mut T));
}

type ForwardFn = dyn Fn(&[&Tensor]) -> Result<Tensor>;
type BackwardFn = dyn Fn(&Tensor, &[&Tensor]) -> Result<Vec<Option<Tensor>>>;

struct Callbacks {
    forward: Box<ForwardFn>,
    backward: Box<BackwardFn>,
}

/// A user-defined differentiable op (torch.autograd.Function): a forward and
/// a backward written in Rust. Owns an `ember_function` handle, freed on drop
/// (graphs that used it keep the callbacks alive until they are gone).
pub struct Function {
    raw: NonNull<ffi::ember_function>,
}


impl Drop for Function {
    fn drop(&mut self) {
        unsafe { ffi::ember_function_free(self.raw.as_ptr()) }
    }
}

unsafe extern "C" fn function_forward(inputs: *const *const ffi::ember_tensor, count: i64, user_data: *mut c_void,
                                      output: *mut *mut ffi::ember_tensor) -> ffi::ember_status {
    guard(|| {
        let cb = &*(user_data as *const Callbacks);
        let held: Vec<_> = (0..count as usize).map(|i| borrowed(*inputs.add(i))).collect();
        let refs: Vec<&Tensor> = held.iter().map(|t| &**t).collect();
        *output = (cb.forward)(&refs)?.into_raw();
        Ok(())
    })
}

unsafe extern "C" fn function_backward(grad_output: *const ffi::ember_tensor, inputs: *const *const ffi::ember_tensor, count: i64,
                                       user_data: *mut c_void, grad_inputs: *mut *mut ffi::ember_tensor) -> ffi::ember_status {
    guard(|| {
        let cb = &*(user_data as *const Callbacks);
        let g = borrowed(grad_output);
        let held: Vec<_> = (0..count as usize).map(|i| borrowed(*inputs.add(i))).collect();
        let refs: Vec<&Tensor> = held.iter().map(|t| &**t).collect();
        let grads = (cb.backward)(&g, &refs)?;
        if grads.len() != count as usize {
            return Err(Error::new(ErrorKind::InvalidArgument, format!("backward returned {} gradients for {count} inputs", grads.len())));
        }
        for (i, gi) in grads.into_iter().enumerate() {
            *grad_inputs.add(i) = gi.map_or(ptr::null_mut(), Tensor::into_raw);
        }
        Ok(())
    })
}

impl Function {
    /// A custom op named `name`: `forward(inputs)` computes the output (with
    /// grad mode off); `backward(grad_output, inputs)` returns one gradient
    /// per input (None for none).
    pub fn new(name: &str,
               forward: impl Fn(&[&Tensor]) -> Result<Tensor> + 'static,
               backward: impl Fn(&Tensor, &[&Tensor]) -> Result<Vec<Option<Tensor>>> + 'static) -> Result<Function> {
        let name = crate::cstring(name)?;
        let data = Box::into_raw(Box::new(Callbacks { forward: Box::new(forward), backward: Box::new(backward) }));
        let mut out = ptr::null_mut();
        let status = unsafe {
            ffi::ember_function_new(name.as_ptr(), Some(function_forward), Some(function_backward), data.cast(),
                                    Some(drop_box::<Callbacks>), &mut out)
        };
        if status != ffi::EMBER_OK {
            // Not freed here: whether `destroy` already ran is not ours to
            // know, and a small leak on this path beats a double free.
            return Err(Error::last(status));
        }
        Ok(Function { raw: NonNull::new(out).expect("ember_function_new returned a handle") })
    }

    /// Applies the op to `inputs`, recording it when an input requires grad.
    pub fn apply(&self, inputs: &[&Tensor]) -> Result<Tensor> {
        let raw = raw_list(inputs);
        Tensor::from_call(|out| unsafe { ffi::ember_function_apply(self.raw.as_ptr(), raw.as_ptr(), raw.len() as i64, out) })
    }

    pub fn as_ptr(&self) -> *mut ffi::ember_function {
        self.raw.as_ptr()
    }
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Function({:p})", self.raw.as_ptr())
    }
}

type HookFn = dyn Fn(&Tensor) -> Result<Option<Tensor>>;

unsafe extern "C" fn hook_trampoline(grad: *const ffi::ember_tensor, user_data: *mut c_void,
                                     replacement: *mut *mut ffi::ember_tensor) -> ffi::ember_status {
    guard(|| {
        let f = &*(user_data as *const Box<HookFn>);
        let g = borrowed(grad);
        if let Some(new) = f(&g)? {
            *replacement = new.into_raw();
        }
        Ok(())
    })
}

impl Tensor {
    /// Registers a gradient hook (torch.Tensor.register_hook): called during
    /// backward with the gradient flowing into this tensor; returning
    /// Some(tensor) replaces it. Returns the id for [`Tensor::remove_hook`].
    pub fn register_hook(&self, hook: impl Fn(&Tensor) -> Result<Option<Tensor>> + 'static) -> Result<i64> {
        let data: *mut Box<HookFn> = Box::into_raw(Box::new(Box::new(hook)));
        let mut id = 0i64;
        let status = unsafe {
            ffi::ember_tensor_register_hook(self.as_ptr(), Some(hook_trampoline), data.cast(), Some(drop_box::<Box<HookFn>>), &mut id)
        };
        check(status)?;
        Ok(id)
    }

    /// Removes a hook registered with [`Tensor::register_hook`].
    pub fn remove_hook(&self, id: i64) -> Result<()> {
        check(unsafe { ffi::ember_tensor_remove_hook(self.as_ptr(), id) })
    }
}
