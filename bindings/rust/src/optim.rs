//! Optimizers (torch.optim) and learning-rate schedulers (torch.optim.lr_scheduler).

use crate::error::{check, Error, ErrorKind, Result};
use crate::ffi;
use crate::nn::Module;
use crate::tensor::Tensor;
use std::ptr::{self, NonNull};

/// An optimizer over parameters (torch.optim.Optimizer). Owns an
/// `ember_optimizer` handle, freed on drop; it keeps its parameters alive.
/// Options are read and set by torch's names ("lr", "momentum", "beta1").
pub struct Optimizer {
    raw: NonNull<ffi::ember_optimizer>,
}


impl Drop for Optimizer {
    fn drop(&mut self) {
        unsafe { ffi::ember_optimizer_free(self.raw.as_ptr()) }
    }
}

fn optimizer_from(f: impl FnOnce(*mut *mut ffi::ember_optimizer) -> ffi::ember_status) -> Result<Optimizer> {
    let mut out = ptr::null_mut();
    check(f(&mut out))?;
    NonNull::new(out).map(|raw| Optimizer { raw }).ok_or_else(|| Error::new(ErrorKind::Internal, "the library returned no optimizer"))
}

macro_rules! optimizers {
    ($($(#[$m:meta])* $name:ident => $f:ident),* $(,)?) => {
        impl Optimizer {
            $($(#[$m])* pub fn $name(module: &Module, lr: f64) -> Result<Optimizer> {
                optimizer_from(|out| unsafe { ffi::$f(module.as_ptr(), lr, out) })
            })*
        }
    };
}

optimizers! {
    /// torch.optim.SGD(model.parameters(), lr); momentum, dampening, nesterov, weight_decay, maximize by name.
    sgd => ember_sgd_new,
    /// torch.optim.Adam.
    adam => ember_adam_new,
    /// torch.optim.AdamW.
    adamw => ember_adamw_new,
    /// torch.optim.RMSprop.
    rmsprop => ember_rmsprop_new,
    /// torch.optim.Adagrad.
    adagrad => ember_adagrad_new,
    /// torch.optim.Adadelta.
    adadelta => ember_adadelta_new,
    /// torch.optim.Adamax.
    adamax => ember_adamax_new,
    /// torch.optim.NAdam.
    nadam => ember_nadam_new,
    /// torch.optim.RAdam.
    radam => ember_radam_new,
    /// torch.optim.LBFGS (step with [`Optimizer::step_closure`]).
    lbfgs => ember_lbfgs_new,
}

fn raw_list(ts: &[&Tensor]) -> Vec<*const ffi::ember_tensor> {
    ts.iter().map(|t| t.as_ptr() as *const _).collect()
}

type Closure<'a> = &'a mut dyn FnMut() -> Result<f64>;

unsafe extern "C" fn closure_trampoline(user_data: *mut std::ffi::c_void, loss: *mut f64) -> ffi::ember_status {
    crate::autograd::guard(|| {
        let f = &mut *(user_data as *mut Closure);
        *loss = f()?;
        Ok(())
    })
}

impl Optimizer {
    /// An optimizer of torch class `type_name` ("SGD", "Adam", ...) over
    /// explicit tensors, with options in torch's syntax ("lr=0.1, momentum=0.9").
    pub fn new(type_name: &str, params: &[&Tensor], args: &str) -> Result<Optimizer> {
        let t = crate::cstring(type_name)?;
        let a = crate::cstring(args)?;
        let raw = raw_list(params);
        optimizer_from(|out| unsafe { ffi::ember_optimizer_new(t.as_ptr(), raw.as_ptr(), raw.len() as i64, a.as_ptr(), out) })
    }

    pub fn as_ptr(&self) -> *mut ffi::ember_optimizer {
        self.raw.as_ptr()
    }

    /// Sets an option on every group ("momentum", 0.9).
    pub fn set(&self, name: &str, value: f64) -> Result<()> {
        let n = crate::cstring(name)?;
        check(unsafe { ffi::ember_optimizer_set(self.as_ptr(), n.as_ptr(), value) })
    }

    /// Reads an option of group 0.
    pub fn get(&self, name: &str) -> Result<f64> {
        let n = crate::cstring(name)?;
        let mut v = 0.0;
        check(unsafe { ffi::ember_optimizer_get(self.as_ptr(), n.as_ptr(), &mut v) })?;
        Ok(v)
    }

    /// Adds a parameter group with its own options (add_param_group).
    pub fn add_param_group(&self, params: &[&Tensor], args: &str) -> Result<()> {
        let a = crate::cstring(args)?;
        let raw = raw_list(params);
        check(unsafe { ffi::ember_optimizer_add_param_group(self.as_ptr(), raw.as_ptr(), raw.len() as i64, a.as_ptr()) })
    }

    pub fn param_group_count(&self) -> i64 {
        unsafe { ffi::ember_optimizer_param_group_count(self.as_ptr()) }
    }

    pub fn set_group(&self, group: i64, name: &str, value: f64) -> Result<()> {
        let n = crate::cstring(name)?;
        check(unsafe { ffi::ember_optimizer_set_group(self.as_ptr(), group, n.as_ptr(), value) })
    }

    pub fn get_group(&self, group: i64, name: &str) -> Result<f64> {
        let n = crate::cstring(name)?;
        let mut v = 0.0;
        check(unsafe { ffi::ember_optimizer_get_group(self.as_ptr(), group, n.as_ptr(), &mut v) })?;
        Ok(v)
    }

    /// optimizer.step().
    pub fn step(&self) -> Result<()> {
        check(unsafe { ffi::ember_optimizer_step(self.as_ptr()) })
    }

    /// optimizer.step(closure): the closure recomputes the loss (with backward) and returns it.
    pub fn step_closure(&self, mut closure: impl FnMut() -> Result<f64>) -> Result<f64> {
        let mut f: Closure = &mut closure;
        let mut loss = 0.0;
        check(unsafe { ffi::ember_optimizer_step_closure(self.as_ptr(), Some(closure_trampoline), (&mut f as *mut Closure).cast(), &mut loss) })?;
        Ok(loss)
    }

    /// optimizer.zero_grad().
    pub fn zero_grad(&self) -> Result<()> {
        check(unsafe { ffi::ember_optimizer_zero_grad(self.as_ptr()) })
    }

    /// The full state as named tensors ("state.0.momentum_buffer", "param_groups.0.lr", ...).
    pub fn state(&self) -> Result<Vec<(String, Tensor)>> {
        let count = unsafe { ffi::ember_optimizer_state_count(self.as_ptr()) };
        if count < 0 {
            return Err(Error::last(ffi::EMBER_ERR_INVALID_HANDLE));
        }
        (0..count).map(|i| {
            let name = crate::read_name(|buf, size| unsafe { ffi::ember_optimizer_state_at(self.as_ptr(), i, buf, size, ptr::null_mut()) })?;
            let mut buf = vec![0u8; name.len() + 1];
            let t = Tensor::from_call(|out| unsafe { ffi::ember_optimizer_state_at(self.as_ptr(), i, buf.as_mut_ptr().cast(), buf.len(), out) })?;
            Ok((name, t))
        }).collect()
    }

    /// Restores a state exported by [`Optimizer::state`] (strict).
    pub fn load_state(&self, state: &[(String, Tensor)]) -> Result<()> {
        let names: Vec<std::ffi::CString> = state.iter().map(|(n, _)| crate::cstring(n)).collect::<Result<_>>()?;
        let name_ptrs: Vec<*const std::os::raw::c_char> = names.iter().map(|n| n.as_ptr()).collect();
        let tensors: Vec<*const ffi::ember_tensor> = state.iter().map(|(_, t)| t.as_ptr() as *const _).collect();
        check(unsafe { ffi::ember_optimizer_load_state(self.as_ptr(), name_ptrs.as_ptr(), tensors.as_ptr(), state.len() as i64) })
    }
}

type LrLambda = dyn Fn(i64, i64) -> f64;

unsafe extern "C" fn lr_lambda_trampoline(epoch: i64, group: i64, user_data: *mut std::ffi::c_void, factor: *mut f64) -> ffi::ember_status {
    crate::autograd::guard(|| {
        let f = &*(user_data as *const Box<LrLambda>);
        *factor = f(epoch, group);
        Ok(())
    })
}

/// A learning-rate scheduler (torch.optim.lr_scheduler). Owns an
/// `ember_scheduler` handle, freed on drop; it keeps its optimizer alive.
pub struct Scheduler {
    raw: NonNull<ffi::ember_scheduler>,
}


impl Drop for Scheduler {
    fn drop(&mut self) {
        unsafe { ffi::ember_scheduler_free(self.raw.as_ptr()) }
    }
}

fn scheduler_from(f: impl FnOnce(*mut *mut ffi::ember_scheduler) -> ffi::ember_status) -> Result<Scheduler> {
    let mut out = ptr::null_mut();
    check(f(&mut out))?;
    NonNull::new(out).map(|raw| Scheduler { raw }).ok_or_else(|| Error::new(ErrorKind::Internal, "the library returned no scheduler"))
}

impl Scheduler {
    /// Any scheduler by torch class name and arguments in torch's syntax:
    /// `Scheduler::new(&opt, "StepLR", "step_size=10, gamma=0.5")`.
    pub fn new(optimizer: &Optimizer, type_name: &str, args: &str) -> Result<Scheduler> {
        let t = crate::cstring(type_name)?;
        let a = crate::cstring(args)?;
        scheduler_from(|out| unsafe { ffi::ember_scheduler_new(optimizer.as_ptr(), t.as_ptr(), a.as_ptr(), out) })
    }

    /// StepLR(optimizer, step_size, gamma).
    pub fn step_lr(optimizer: &Optimizer, step_size: i64, gamma: f64) -> Result<Scheduler> {
        scheduler_from(|out| unsafe { ffi::ember_steplr_new(optimizer.as_ptr(), step_size, gamma, out) })
    }

    /// ExponentialLR(optimizer, gamma).
    pub fn exponential_lr(optimizer: &Optimizer, gamma: f64) -> Result<Scheduler> {
        scheduler_from(|out| unsafe { ffi::ember_exponentiallr_new(optimizer.as_ptr(), gamma, out) })
    }

    /// CosineAnnealingLR(optimizer, T_max, eta_min).
    pub fn cosine_annealing_lr(optimizer: &Optimizer, t_max: i64, eta_min: f64) -> Result<Scheduler> {
        scheduler_from(|out| unsafe { ffi::ember_cosineannealinglr_new(optimizer.as_ptr(), t_max, eta_min, out) })
    }

    /// OneCycleLR(optimizer, max_lr, total_steps).
    pub fn one_cycle_lr(optimizer: &Optimizer, max_lr: f64, total_steps: i64) -> Result<Scheduler> {
        scheduler_from(|out| unsafe { ffi::ember_onecyclelr_new(optimizer.as_ptr(), max_lr, total_steps, out) })
    }

    /// ReduceLROnPlateau(optimizer, mode, factor, patience); step it with [`Scheduler::step_metric`].
    pub fn reduce_lr_on_plateau(optimizer: &Optimizer, mode: &str, factor: f64, patience: i64) -> Result<Scheduler> {
        let m = crate::cstring(mode)?;
        scheduler_from(|out| unsafe { ffi::ember_reducelronplateau_new(optimizer.as_ptr(), m.as_ptr(), factor, patience, out) })
    }

    /// LambdaLR(optimizer, lr_lambda): each group's rate is its initial rate
    /// times `lr_lambda(epoch, group)`.
    pub fn lambda_lr(optimizer: &Optimizer, lr_lambda: impl Fn(i64, i64) -> f64 + 'static) -> Result<Scheduler> {
        let data: *mut Box<LrLambda> = Box::into_raw(Box::new(Box::new(lr_lambda)));
        // The library calls `destroy` (freeing the closure) when the scheduler
        // is gone, or at once if the call fails.
        scheduler_from(|out| unsafe {
            ffi::ember_lambdalr_new(optimizer.as_ptr(), Some(lr_lambda_trampoline), data.cast(),
                                    Some(crate::autograd::drop_box::<Box<LrLambda>>), out)
        })
    }

    pub fn as_ptr(&self) -> *mut ffi::ember_scheduler {
        self.raw.as_ptr()
    }

    /// scheduler.step().
    pub fn step(&self) -> Result<()> {
        check(unsafe { ffi::ember_scheduler_step(self.as_ptr()) })
    }

    /// scheduler.step(metric) for ReduceLROnPlateau.
    pub fn step_metric(&self, metric: f64) -> Result<()> {
        check(unsafe { ffi::ember_scheduler_step_metric(self.as_ptr(), metric) })
    }

    /// get_last_lr(): one rate per parameter group.
    pub fn last_lr(&self) -> Result<Vec<f64>> {
        let mut count = 0i64;
        check(unsafe { ffi::ember_scheduler_get_last_lr(self.as_ptr(), ptr::null_mut(), 0, &mut count) })?;
        let mut lrs = vec![0.0; count as usize];
        check(unsafe { ffi::ember_scheduler_get_last_lr(self.as_ptr(), lrs.as_mut_ptr(), count, &mut count) })?;
        Ok(lrs)
    }

    pub fn get(&self, name: &str) -> Result<f64> {
        let n = crate::cstring(name)?;
        let mut v = 0.0;
        check(unsafe { ffi::ember_scheduler_get(self.as_ptr(), n.as_ptr(), &mut v) })?;
        Ok(v)
    }

    pub fn set(&self, name: &str, value: f64) -> Result<()> {
        let n = crate::cstring(name)?;
        check(unsafe { ffi::ember_scheduler_set(self.as_ptr(), n.as_ptr(), value) })
    }
}

impl std::fmt::Debug for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Optimizer({:p})", self.raw.as_ptr())
    }
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scheduler({:p})", self.raw.as_ptr())
    }
}
