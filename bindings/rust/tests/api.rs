//! The safe layer across the API: errors, operators, autograd, custom ops
//! and modules, optimizers, schedulers, the data loader, ownership. Tests run
//! on parallel threads, so none depends on the global generator's values.

use ember::{DType, DataLoader, ErrorKind, Function, Module, Optimizer, Scheduler, Tensor};

fn t(data: &[f32], shape: &[i64]) -> Tensor {
    Tensor::from_slice(data, shape).unwrap()
}

#[test]
fn version_matches_the_header() {
    let (major, minor, patch) = ember::HEADER_VERSION;
    assert_eq!(ember::version(), format!("{major}.{minor}.{patch}"));
}

#[test]
fn errors_carry_status_and_message() {
    let a = Tensor::zeros(&[2, 3]).unwrap();
    let b = Tensor::zeros(&[4, 2]).unwrap();
    let e = a.matmul(&b).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Shape);
    assert!(e.message.contains("ember_matmul"), "{}", e.message);
    assert!(e.message.contains("[2, 3]") && e.message.contains("[4, 2]"), "{}", e.message);
    assert!(e.to_string().starts_with("EMBER_ERR_SHAPE: "), "{e}");
    let e = Module::new("NoSuchLayer", "").unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("Linear"), "the message lists the types: {}", e.message);
    assert_eq!(Tensor::from_slice(&[1f32, 2.0], &[3]).unwrap_err().kind, ErrorKind::Shape);
    assert_eq!(t(&[1.0], &[1]).to_vec::<i64>().unwrap_err().kind, ErrorKind::DType);
}

#[test]
fn operators_for_values_and_references() {
    let a = t(&[1.0, 2.0, 3.0], &[3]);
    let b = t(&[4.0, 5.0, 6.0], &[3]);
    assert_eq!((&a + &b).to_vec::<f32>().unwrap(), [5.0, 7.0, 9.0]);
    assert_eq!((&b - &a).to_vec::<f32>().unwrap(), [3.0, 3.0, 3.0]);
    assert_eq!((&a * &b).to_vec::<f32>().unwrap(), [4.0, 10.0, 18.0]);
    assert_eq!((&b / &a).to_vec::<f32>().unwrap(), [4.0, 2.5, 2.0]);
    assert_eq!((-&a).to_vec::<f32>().unwrap(), [-1.0, -2.0, -3.0]);
    assert_eq!((&a * 2.0 + 1.0).to_vec::<f32>().unwrap(), [3.0, 5.0, 7.0]);
    assert_eq!((2.0 * &a - &b).to_vec::<f32>().unwrap(), [-2.0, -1.0, 0.0]);
    assert_eq!((1.0 - &a).to_vec::<f32>().unwrap(), [0.0, -1.0, -2.0]);
    let c = a.clone() + b.clone(); // by value
    assert_eq!((-c).to_vec::<f32>().unwrap(), [-5.0, -7.0, -9.0]);
    // broadcasting and matmul
    let m = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_eq!((&m + &a).to_vec::<f32>().unwrap(), [2.0, 4.0, 6.0, 5.0, 7.0, 9.0]);
    let p = m.matmul(&a.reshape(&[3, 1]).unwrap()).unwrap();
    assert_eq!(p.shape(), [2, 1]);
    assert_eq!(p.to_vec::<f32>().unwrap(), [14.0, 32.0]);
    assert_eq!(m.t().unwrap().shape(), [3, 2]);
    assert_eq!(m.sum_dim(&[1], false).unwrap().to_vec::<f32>().unwrap(), [6.0, 15.0]);
    assert_eq!(Tensor::cat(&[&a, &b], 0).unwrap().numel(), 6);
}

#[test]
fn autograd_backward_grad_and_no_grad() {
    let x = t(&[1.0, 2.0, 3.0], &[3]).requires_grad().unwrap();
    let y = (&x * &x).sum().unwrap();
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().unwrap().to_vec::<f32>().unwrap(), [2.0, 4.0, 6.0]); // d(x^2)/dx = 2x
    x.zero_grad().unwrap();
    assert!(x.grad().unwrap().is_none());

    // autograd.grad with create_graph: d2(x^3)/dx2 = 6x
    let cube = x.pow_scalar(3.0).unwrap().sum().unwrap();
    let g = ember::grad(&[&cube], &[&x], false, true, false).unwrap().remove(0).unwrap();
    let g2 = ember::grad(&[&g.sum().unwrap()], &[&x], false, false, false).unwrap().remove(0).unwrap();
    assert_eq!(g2.to_vec::<f32>().unwrap(), [6.0, 12.0, 18.0]);

    {
        let _guard = ember::no_grad();
        assert!(!ember::is_grad_enabled());
        assert!(!(&x * 2.0).is_requires_grad());
    }
    assert!(ember::is_grad_enabled());
    assert!(!x.detach().unwrap().is_requires_grad());
}

#[test]
fn custom_function_from_rust() {
    // y = 3x with a hand-written backward dy/dx = 3
    let triple = Function::new("Triple", |xs| xs[0].mul_scalar(3.0), |g, _xs| Ok(vec![Some(g.mul_scalar(3.0)?)])).unwrap();
    let x = t(&[1.0, -2.0], &[2]).requires_grad().unwrap();
    let y = triple.apply(&[&x]).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), [3.0, -6.0]);
    y.sum().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().unwrap().to_vec::<f32>().unwrap(), [3.0, 3.0]);
    // A failing Rust callback reaches the caller as an error with its message.
    let bad = Function::new("Bad", |_| Err(ember::Error::new(ErrorKind::Shape, "bad forward")), |_, _| Ok(vec![None])).unwrap();
    let e = bad.apply(&[&x]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Shape);
    assert!(e.message.contains("bad forward"), "{}", e.message);
}

#[test]
fn custom_module_with_registered_children() {
    let m = Module::custom("Residual", |me, xs| {
        let fc = me.child("fc")?;
        Ok(vec![&fc.forward(xs[0])? + xs[0]])
    }).unwrap();
    m.register_module("fc", &Module::linear(4, 4, true).unwrap()).unwrap();
    let names: Vec<String> = m.named_parameters().unwrap().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["fc.weight", "fc.bias"]);
    let y = m.forward(&Tensor::ones(&[2, 4]).unwrap()).unwrap();
    assert_eq!(y.shape(), [2, 4]);
    assert!(m.summary().unwrap().contains("Linear(in_features=4, out_features=4, bias=True)"), "{m}");
}

#[test]
fn modules_by_name_parameters_and_modes() {
    let seq = Module::sequential(&[&Module::new("Linear", "3, 2").unwrap(), &Module::new("Tanh", "").unwrap()]).unwrap();
    assert_eq!(seq.parameters().unwrap().len(), 2);
    let w = seq.parameter("0.weight").unwrap();
    assert_eq!(w.shape(), [2, 3]);
    w.copy_from_slice(&[0f32; 6]).unwrap();
    let b = seq.parameter("0.bias").unwrap();
    b.copy_from_slice(&[0f32; 2]).unwrap();
    assert_eq!(seq.forward(&Tensor::ones(&[1, 3]).unwrap()).unwrap().to_vec::<f32>().unwrap(), [0.0, 0.0]);
    assert!(seq.is_training());
    seq.eval().unwrap();
    assert!(!seq.is_training());
    let bn = Module::new("BatchNorm1d", "3").unwrap();
    assert_eq!(bn.named_buffers().unwrap().len(), 3);
    let mse = Module::new("MSELoss", "").unwrap();
    let l = mse.forward2(&t(&[1.0, 2.0], &[2]), &t(&[1.0, 4.0], &[2])).unwrap();
    assert_eq!(l.item().unwrap(), 2.0);
}

#[test]
fn optimizers_options_state_and_schedulers() {
    let model = Module::linear(2, 1, false).unwrap();
    let w = model.parameter("weight").unwrap();
    w.copy_from_slice(&[1f32, 1.0]).unwrap();
    let opt = Optimizer::sgd(&model, 0.1).unwrap();
    opt.set("momentum", 0.9).unwrap();
    assert_eq!(opt.get("momentum").unwrap(), 0.9);
    assert_eq!(opt.set("no_such_option", 1.0).unwrap_err().kind, ErrorKind::InvalidArgument);
    let x = t(&[1.0, 2.0], &[1, 2]);
    let loss = model.forward(&x).unwrap().sum().unwrap();
    loss.backward().unwrap();
    opt.step().unwrap();
    // w <- w - 0.1 * x (first step: the momentum buffer is the gradient)
    assert_eq!(w.to_vec::<f32>().unwrap(), [0.9, 0.8]);
    let names: Vec<String> = opt.state().unwrap().into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().any(|n| n == "state.0.momentum_buffer"), "{names:?}");
    let sched = Scheduler::step_lr(&opt, 1, 0.5).unwrap();
    sched.step().unwrap();
    assert_eq!(sched.last_lr().unwrap(), [0.05]);
    let by_name = Scheduler::new(&opt, "ExponentialLR", "gamma=0.5").unwrap();
    by_name.step().unwrap();
    assert_eq!(opt.get("lr").unwrap(), 0.025);
    let adam = Optimizer::new("Adam", &[&w], "lr=0.001, betas=(0.8, 0.9)").unwrap();
    assert_eq!(adam.get("beta1").unwrap(), 0.8);
}

#[test]
fn data_loader_batches_and_epochs() {
    let x = Tensor::arange(0.0, 10.0, 1.0, DType::Float32).unwrap().reshape(&[10, 1]).unwrap();
    let y = Tensor::arange(0.0, 10.0, 1.0, DType::Int64).unwrap();
    let mut loader = DataLoader::new(&x, &y, 4, false).unwrap();
    assert_eq!(loader.len().unwrap(), 3);
    let sizes: Vec<i64> = loader.epoch().map(|b| b.unwrap().0.shape()[0]).collect();
    assert_eq!(sizes, [4, 4, 2]);
    loader.set("drop_last", 1.0).unwrap();
    let firsts: Vec<Vec<i64>> = loader.epoch().map(|b| b.unwrap().1.to_vec::<i64>().unwrap()).collect();
    assert_eq!(firsts, [vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    assert_eq!(DataLoader::new(&x, &Tensor::zeros(&[3]).unwrap(), 4, false).unwrap_err().kind, ErrorKind::Shape);
}

#[test]
fn handles_outlive_their_owners_as_the_c_api_promises() {
    // The Sequential keeps its children; a tensor handle clone shares the tensor.
    let fc = Module::linear(2, 2, true).unwrap();
    let seq = Module::sequential(&[&fc]).unwrap();
    drop(fc);
    assert_eq!(seq.forward(&Tensor::ones(&[1, 2]).unwrap()).unwrap().shape(), [1, 2]);
    let a = t(&[1.0, 2.0], &[2]);
    let b = a.clone();
    a.fill_(7.0).unwrap();
    drop(a);
    assert_eq!(b.to_vec::<f32>().unwrap(), [7.0, 7.0]);
}

#[cfg(ember_io)]
#[test]
fn state_dict_round_trip() {
    let m = Module::linear(3, 2, true).unwrap();
    let sd = ember::StateDict::of_module(&m).unwrap();
    assert_eq!(sd.keys().unwrap(), ["weight", "bias"]);
    let path = std::env::temp_dir().join(format!("ember-rust-{}.safetensors", std::process::id()));
    sd.save(path.to_str().unwrap()).unwrap();
    let back = ember::StateDict::load(path.to_str().unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    let m2 = Module::linear(3, 2, true).unwrap();
    back.load_into(&m2, true).unwrap();
    assert_eq!(m2.parameter("weight").unwrap().to_vec::<f32>().unwrap(), m.parameter("weight").unwrap().to_vec::<f32>().unwrap());
}

/// With EMBER_API_JSON set to tools/gen_api.py's output for the same
/// headers, the generated bindings declare exactly its functions.
#[test]
fn ffi_declares_every_function_of_gen_api() {
    let Ok(path) = std::env::var("EMBER_API_JSON") else { return };
    let json = std::fs::read_to_string(&path).unwrap();
    let mut names: Vec<&str> = json.match_indices("\"name\": \"ember_").map(|(i, _)| {
        let rest = &json[i + 9..];
        &rest[..rest.find('"').unwrap()]
    }).collect();
    names.sort();
    names.dedup();
    assert_eq!(names, ember::ffi::FUNCTIONS, "build.rs and tools/gen_api.py disagree");
}

#[test]
fn hooks_lambda_lr_and_init() {
    let x = t(&[1.0, 2.0], &[2]).requires_grad().unwrap();
    let id = x.register_hook(|g| Ok(Some(g.mul_scalar(10.0)?))).unwrap();
    (&x * 3.0).sum().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().unwrap().to_vec::<f32>().unwrap(), [30.0, 30.0]); // 3, scaled by the hook
    x.remove_hook(id).unwrap();
    x.zero_grad().unwrap();
    (&x * 3.0).sum().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().unwrap().to_vec::<f32>().unwrap(), [3.0, 3.0]);

    let model = Module::linear(2, 1, true).unwrap();
    let opt = Optimizer::sgd(&model, 1.0).unwrap();
    let sched = Scheduler::lambda_lr(&opt, |epoch, _group| 1.0 / (epoch + 1) as f64).unwrap();
    sched.step().unwrap();
    assert_eq!(sched.last_lr().unwrap(), [0.5]);

    let w = model.parameter("weight").unwrap();
    ember::nn::init::constant_(&w, 0.25).unwrap();
    assert_eq!(w.to_vec::<f32>().unwrap(), [0.25, 0.25]);
    ember::nn::init::kaiming_uniform_(&w, 0.0, "fan_in", "relu").unwrap();
    assert_eq!(ember::nn::init::kaiming_uniform_(&w, 0.0, "fan_sideways", "relu").unwrap_err().kind, ErrorKind::InvalidArgument);
}
