//! Modules (torch.nn) and the functional losses.

use crate::autograd::{borrowed, drop_box, guard};
use crate::error::{check, Error, ErrorKind, Result};
use crate::ffi;
use crate::tensor::Tensor;
use std::ffi::c_void;
use std::fmt;
use std::ptr::{self, NonNull};

/// A neural-network module: a layer or a container (torch.nn.Module).
/// Owns an `ember_module` handle, freed on drop; containers and optimizers
/// that hold the module keep it alive.
pub struct Module {
    raw: NonNull<ffi::ember_module>,
}


impl Drop for Module {
    fn drop(&mut self) {
        unsafe { ffi::ember_module_free(self.raw.as_ptr()) }
    }
}

fn module_from(f: impl FnOnce(*mut *mut ffi::ember_module) -> ffi::ember_status) -> Result<Module> {
    let mut out = ptr::null_mut();
    check(f(&mut out))?;
    NonNull::new(out).map(|raw| Module { raw }).ok_or_else(|| Error::new(ErrorKind::Internal, "the library returned no module"))
}

type CustomForward = dyn Fn(&Module, &[&Tensor]) -> Result<Vec<Tensor>>;

unsafe extern "C" fn custom_forward(self_: *mut ffi::ember_module, inputs: *const *const ffi::ember_tensor, n_inputs: i64,
                                    user_data: *mut c_void, outputs: *mut *mut ffi::ember_tensor, capacity: i64,
                                    n_outputs: *mut i64) -> ffi::ember_status {
    guard(|| {
        let f = &*(user_data as *const Box<CustomForward>);
        let me = std::mem::ManuallyDrop::new(Module { raw: NonNull::new(self_).expect("a live module") });
        let held: Vec<_> = (0..n_inputs as usize).map(|i| borrowed(*inputs.add(i))).collect();
        let refs: Vec<&Tensor> = held.iter().map(|t| &**t).collect();
        let outs = f(&me, &refs)?;
        if outs.len() as i64 > capacity {
            return Err(Error::new(ErrorKind::InvalidArgument, format!("forward returned {} outputs, at most {capacity} fit", outs.len())));
        }
        *n_outputs = outs.len() as i64;
        for (i, t) in outs.into_iter().enumerate() {
            *outputs.add(i) = t.into_raw();
        }
        Ok(())
    })
}

impl Module {
    /// torch.nn.Linear(in_features, out_features, bias), initialised as torch does.
    pub fn linear(in_features: i64, out_features: i64, bias: bool) -> Result<Module> {
        module_from(|out| unsafe { ffi::ember_linear_new(in_features, out_features, bias, out) })
    }

    /// torch.nn.ReLU().
    pub fn relu() -> Result<Module> {
        module_from(|out| unsafe { ffi::ember_relu_new(out) })
    }

    /// torch.nn.Sequential(*children); children are named "0", "1", ...
    pub fn sequential(children: &[&Module]) -> Result<Module> {
        let seq = module_from(|out| unsafe { ffi::ember_sequential_new(out) })?;
        for c in children {
            seq.append(c)?;
        }
        Ok(seq)
    }

    /// Any built-in module by torch class name and constructor arguments in
    /// torch's syntax: `Module::new("Conv2d", "1, 16, kernel_size=3")`.
    pub fn new(type_name: &str, args: &str) -> Result<Module> {
        let t = crate::cstring(type_name)?;
        let a = crate::cstring(args)?;
        module_from(|out| unsafe { ffi::ember_module_new(t.as_ptr(), a.as_ptr(), out) })
    }

    /// A module whose forward is a Rust closure (a subclass of nn.Module with
    /// its own forward). Register its children and parameters with
    /// [`Module::register_module`] and [`Module::register_parameter`]; the
    /// closure gets the module itself to look them up.
    pub fn custom(type_name: &str, forward: impl Fn(&Module, &[&Tensor]) -> Result<Vec<Tensor>> + 'static) -> Result<Module> {
        let t = crate::cstring(type_name)?;
        let data: *mut Box<CustomForward> = Box::into_raw(Box::new(Box::new(forward)));
        module_from(|out| unsafe {
            ffi::ember_module_custom_new(t.as_ptr(), Some(custom_forward), data.cast(), Some(drop_box::<Box<CustomForward>>), out)
        })
    }

    pub fn as_ptr(&self) -> *mut ffi::ember_module {
        self.raw.as_ptr()
    }

    /// Appends `child` to a Sequential.
    pub fn append(&self, child: &Module) -> Result<()> {
        check(unsafe { ffi::ember_sequential_append(self.as_ptr(), child.as_ptr()) })
    }

    /// module(input).
    pub fn forward(&self, input: &Tensor) -> Result<Tensor> {
        Tensor::from_call(|out| unsafe { ffi::ember_module_forward(self.as_ptr(), input.as_ptr(), out) })
    }

    /// module(a, b) with one output: a loss module (output, target), for instance.
    pub fn forward2(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let mut outs = self.forward_multi(&[a, b])?;
        if outs.len() != 1 {
            return Err(Error::new(ErrorKind::InvalidArgument, format!("Module::forward2: the module returned {} outputs", outs.len())));
        }
        Ok(outs.remove(0))
    }

    /// module(*inputs) -> outputs (LSTM, MultiheadAttention, losses, custom modules).
    pub fn forward_multi(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let raw: Vec<*const ffi::ember_tensor> = inputs.iter().map(|t| t.as_ptr() as *const _).collect();
        let mut outs = vec![ptr::null_mut(); 16];
        let mut n = 0i64;
        check(unsafe { ffi::ember_module_forward_multi(self.as_ptr(), raw.as_ptr(), raw.len() as i64, outs.as_mut_ptr(), 16, &mut n) })?;
        Ok(outs.into_iter().take(n as usize).filter_map(|t| unsafe { Tensor::from_raw(t) }).collect())
    }

    /// The parameter named by its state_dict key ("0.weight"): the live tensor.
    pub fn parameter(&self, name: &str) -> Result<Tensor> {
        let n = crate::cstring(name)?;
        Tensor::from_call(|out| unsafe { ffi::ember_module_parameter(self.as_ptr(), n.as_ptr(), out) })
    }

    /// (name, tensor) of every parameter in state_dict order (named_parameters()).
    pub fn named_parameters(&self) -> Result<Vec<(String, Tensor)>> {
        let count = unsafe { ffi::ember_module_parameter_count(self.as_ptr()) };
        check_count(count)?;
        (0..count).map(|i| self.indexed(i, ffi::ember_module_parameter_at)).collect()
    }

    /// The parameter tensors (parameters()).
    pub fn parameters(&self) -> Result<Vec<Tensor>> {
        Ok(self.named_parameters()?.into_iter().map(|(_, t)| t).collect())
    }

    /// The buffer named `name` (running statistics and other untrained state).
    pub fn buffer(&self, name: &str) -> Result<Tensor> {
        let n = crate::cstring(name)?;
        Tensor::from_call(|out| unsafe { ffi::ember_module_buffer(self.as_ptr(), n.as_ptr(), out) })
    }

    pub fn named_buffers(&self) -> Result<Vec<(String, Tensor)>> {
        let count = unsafe { ffi::ember_module_buffer_count(self.as_ptr()) };
        check_count(count)?;
        (0..count).map(|i| self.indexed(i, ffi::ember_module_buffer_at)).collect()
    }

    fn indexed(&self, i: i64,
               f: unsafe extern "C" fn(*const ffi::ember_module, i64, *mut std::os::raw::c_char, usize, *mut *mut ffi::ember_tensor) -> ffi::ember_status)
               -> Result<(String, Tensor)> {
        let name = crate::read_name(|buf, size| unsafe { f(self.as_ptr(), i, buf, size, ptr::null_mut()) })?;
        let t = Tensor::from_call(|out| unsafe { f(self.as_ptr(), i, ptr::null_mut(), 0, out) });
        // A zero-size name buffer may be refused; then ask with room for the name.
        let t = match t {
            Ok(t) => t,
            Err(_) => {
                let mut buf = vec![0u8; name.len() + 1];
                Tensor::from_call(|out| unsafe { f(self.as_ptr(), i, buf.as_mut_ptr().cast(), buf.len(), out) })?
            }
        };
        Ok((name, t))
    }

    /// The submodule at a dotted path ("0", "encoder.layers.1").
    pub fn child(&self, name: &str) -> Result<Module> {
        let n = crate::cstring(name)?;
        module_from(|out| unsafe { ffi::ember_module_child(self.as_ptr(), n.as_ptr(), out) })
    }

    /// train(true) / eval() = train(false).
    pub fn train(&self, training: bool) -> Result<()> {
        check(unsafe { ffi::ember_module_train(self.as_ptr(), training) })
    }

    pub fn eval(&self) -> Result<()> {
        self.train(false)
    }

    pub fn is_training(&self) -> bool {
        unsafe { ffi::ember_module_is_training(self.as_ptr()) }
    }

    pub fn zero_grad(&self) -> Result<()> {
        check(unsafe { ffi::ember_module_zero_grad(self.as_ptr()) })
    }

    /// Freezes (false) or unfreezes (true) every parameter (requires_grad_).
    pub fn set_requires_grad(&self, requires_grad: bool) -> Result<()> {
        check(unsafe { ffi::ember_module_set_requires_grad(self.as_ptr(), requires_grad) })
    }

    pub fn register_module(&self, name: &str, child: &Module) -> Result<()> {
        let n = crate::cstring(name)?;
        check(unsafe { ffi::ember_module_register_module(self.as_ptr(), n.as_ptr(), child.as_ptr()) })
    }

    pub fn register_parameter(&self, name: &str, param: &Tensor) -> Result<()> {
        let n = crate::cstring(name)?;
        check(unsafe { ffi::ember_module_register_parameter(self.as_ptr(), n.as_ptr(), param.as_ptr()) })
    }

    pub fn register_buffer(&self, name: &str, buffer: &Tensor) -> Result<()> {
        let n = crate::cstring(name)?;
        check(unsafe { ffi::ember_module_register_buffer(self.as_ptr(), n.as_ptr(), buffer.as_ptr()) })
    }

    /// The module tree as torch prints it.
    pub fn summary(&self) -> Result<String> {
        let mut len = 0usize;
        check(unsafe { ffi::ember_module_summary(self.as_ptr(), ptr::null_mut(), 0, &mut len) })?;
        let mut buf = vec![0u8; len + 1];
        check(unsafe { ffi::ember_module_summary(self.as_ptr(), buf.as_mut_ptr().cast(), buf.len(), &mut len) })?;
        buf.truncate(len);
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// clip_grad_norm_(module.parameters(), max_norm, norm_type): the total norm before clipping.
    pub fn clip_grad_norm(&self, max_norm: f64, norm_type: f64) -> Result<f64> {
        let mut total = 0.0;
        check(unsafe { ffi::ember_module_clip_grad_norm_(self.as_ptr(), max_norm, norm_type, false, &mut total) })?;
        Ok(total)
    }

    pub fn clip_grad_value(&self, clip_value: f64) -> Result<()> {
        check(unsafe { ffi::ember_module_clip_grad_value_(self.as_ptr(), clip_value) })
    }
}

fn check_count(count: i64) -> Result<()> {
    if count < 0 { Err(Error::last(ffi::EMBER_ERR_INVALID_HANDLE)) } else { Ok(()) }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.summary() {
            Ok(s) => f.write_str(&s),
            Err(e) => write!(f, "<{e}>"),
        }
    }
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Losses and other functions of torch.nn.functional.
pub mod functional {
    use super::*;

    fn reduction(r: &str) -> Result<std::ffi::CString> {
        crate::cstring(r)
    }

    /// F.cross_entropy(logits, target) with class indices, mean reduction.
    pub fn cross_entropy(logits: &Tensor, target: &Tensor) -> Result<Tensor> {
        Tensor::from_call(|out| unsafe { ffi::ember_cross_entropy(logits.as_ptr(), target.as_ptr(), out) })
    }

    /// F.cross_entropy with torch's options ("mean", "sum", "none"; ignore_index -100 is torch's default).
    pub fn cross_entropy_ex(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, ignore_index: i64, reduction_: &str,
                            label_smoothing: f64) -> Result<Tensor> {
        let r = reduction(reduction_)?;
        let w = weight.map_or(ptr::null(), |w| w.as_ptr() as *const _);
        Tensor::from_call(|out| unsafe { ffi::ember_cross_entropy_ex(input.as_ptr(), target.as_ptr(), w, ignore_index, r.as_ptr(), label_smoothing, out) })
    }

    /// F.mse_loss, mean reduction.
    pub fn mse_loss(input: &Tensor, target: &Tensor) -> Result<Tensor> {
        Tensor::from_call(|out| unsafe { ffi::ember_mse_loss(input.as_ptr(), target.as_ptr(), out) })
    }

    /// F.nll_loss(log_probs, target), mean reduction.
    pub fn nll_loss(input: &Tensor, target: &Tensor) -> Result<Tensor> {
        let r = reduction("mean")?;
        Tensor::from_call(|out| unsafe { ffi::ember_nll_loss(input.as_ptr(), target.as_ptr(), ptr::null(), -100, r.as_ptr(), out) })
    }

    /// F.l1_loss with a reduction.
    pub fn l1_loss(input: &Tensor, target: &Tensor, reduction_: &str) -> Result<Tensor> {
        let r = reduction(reduction_)?;
        Tensor::from_call(|out| unsafe { ffi::ember_l1_loss(input.as_ptr(), target.as_ptr(), r.as_ptr(), out) })
    }

    /// F.binary_cross_entropy_with_logits, mean reduction.
    pub fn binary_cross_entropy_with_logits(input: &Tensor, target: &Tensor) -> Result<Tensor> {
        let r = reduction("mean")?;
        Tensor::from_call(|out| unsafe {
            ffi::ember_binary_cross_entropy_with_logits(input.as_ptr(), target.as_ptr(), ptr::null(), ptr::null(), r.as_ptr(), out)
        })
    }

    /// F.dropout(x, p, training).
    pub fn dropout(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
        Tensor::from_call(|out| unsafe { ffi::ember_dropout(x.as_ptr(), p, training, out) })
    }

    /// F.one_hot(indices, num_classes).
    pub fn one_hot(indices: &Tensor, num_classes: i64) -> Result<Tensor> {
        Tensor::from_call(|out| unsafe { ffi::ember_one_hot(indices.as_ptr(), num_classes, out) })
    }
}

/// Initialisers (torch.nn.init): in-place fills, typically of a module's
/// parameters (`Module::parameter`). Not recorded by autograd.
pub mod init {
    use crate::error::{check, Result};
    use crate::ffi;
    use crate::tensor::Tensor;

    pub fn uniform_(t: &Tensor, a: f64, b: f64) -> Result<()> {
        check(unsafe { ffi::ember_init_uniform_(t.as_ptr(), a, b) })
    }
    pub fn normal_(t: &Tensor, mean: f64, std: f64) -> Result<()> {
        check(unsafe { ffi::ember_init_normal_(t.as_ptr(), mean, std) })
    }
    pub fn constant_(t: &Tensor, value: f64) -> Result<()> {
        check(unsafe { ffi::ember_init_constant_(t.as_ptr(), value) })
    }
    pub fn zeros_(t: &Tensor) -> Result<()> {
        check(unsafe { ffi::ember_init_zeros_(t.as_ptr()) })
    }
    pub fn ones_(t: &Tensor) -> Result<()> {
        check(unsafe { ffi::ember_init_ones_(t.as_ptr()) })
    }
    pub fn eye_(t: &Tensor) -> Result<()> {
        check(unsafe { ffi::ember_init_eye_(t.as_ptr()) })
    }
    /// kaiming_uniform_(t, a, mode="fan_in" | "fan_out", nonlinearity="leaky_relu" | "relu" | ...).
    pub fn kaiming_uniform_(t: &Tensor, a: f64, mode: &str, nonlinearity: &str) -> Result<()> {
        let (m, n) = (crate::cstring(mode)?, crate::cstring(nonlinearity)?);
        check(unsafe { ffi::ember_init_kaiming_uniform_(t.as_ptr(), a, m.as_ptr(), n.as_ptr()) })
    }
    pub fn kaiming_normal_(t: &Tensor, a: f64, mode: &str, nonlinearity: &str) -> Result<()> {
        let (m, n) = (crate::cstring(mode)?, crate::cstring(nonlinearity)?);
        check(unsafe { ffi::ember_init_kaiming_normal_(t.as_ptr(), a, m.as_ptr(), n.as_ptr()) })
    }
    pub fn xavier_uniform_(t: &Tensor, gain: f64) -> Result<()> {
        check(unsafe { ffi::ember_init_xavier_uniform_(t.as_ptr(), gain) })
    }
    pub fn xavier_normal_(t: &Tensor, gain: f64) -> Result<()> {
        check(unsafe { ffi::ember_init_xavier_normal_(t.as_ptr(), gain) })
    }
    pub fn orthogonal_(t: &Tensor, gain: f64) -> Result<()> {
        check(unsafe { ffi::ember_init_orthogonal_(t.as_ptr(), gain) })
    }
}
