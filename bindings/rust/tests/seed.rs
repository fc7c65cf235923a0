//! The seed network (10-5-2, Linear-ReLU-Linear, CrossEntropyLoss, SGD lr
//! 0.01, shuffled batches of 32) trained twice from the same seed: through
//! the safe API, and through the raw C API (`ember::ffi`) call by call as
//! examples/seed_loop.c makes them. The loss must drop, and the two runs
//! must give the same losses. With EMBER_SEED_REFERENCE naming the output of
//! tests/seed_reference.c (the same run as a C program; make rust-test sets
//! it), the losses must also be that program's.

use ember::{ffi, DataLoader, Module, Optimizer, Tensor};
use std::ptr;

const N: usize = 512;
const IN: usize = 10;
const EPOCHS: usize = 20;

/// The seed data: 512 rows of 10 features in [-1, 1); the class is whether
/// the first half of the features outweighs the second half.
fn data() -> (Vec<f32>, Vec<i64>) {
    let mut state = 12345u64;
    let mut x = vec![0f32; N * IN];
    let mut y = vec![0i64; N];
    for i in 0..N {
        let mut margin = 0f32;
        for j in 0..IN {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let v = ((state >> 40) as f32) / (1u64 << 24) as f32 * 2.0 - 1.0;
            x[i * IN + j] = v;
            margin += if j < IN / 2 { v } else { -v };
        }
        y[i] = (margin > 0.0) as i64;
    }
    (x, y)
}

/// Mean loss per epoch and the final accuracy, through the safe API.
fn train_safe(x: &[f32], y: &[i64]) -> ember::Result<(Vec<f64>, f64)> {
    ember::manual_seed(0);
    let model = Module::sequential(&[&Module::linear(10, 5, true)?, &Module::relu()?, &Module::linear(5, 2, true)?])?;
    let loss_fn = Module::new("CrossEntropyLoss", "")?;
    let optimizer = Optimizer::sgd(&model, 0.01)?;
    let inputs = Tensor::from_slice(x, &[N as i64, IN as i64])?;
    let targets = Tensor::from_slice(y, &[N as i64])?;
    let mut train_loader = DataLoader::new(&inputs, &targets, 32, true)?;
    let mut losses = Vec::new();
    for _epoch in 0..EPOCHS {
        let (mut total, mut batches) = (0.0, 0);
        for batch in train_loader.epoch() {
            let (data, target) = batch?;
            let output = model.forward(&data)?;          // forward pass
            let loss = loss_fn.forward2(&output, &target)?; // loss
            loss.backward()?;                             // backward pass
            optimizer.step()?;                            // update
            optimizer.zero_grad()?;                       // reset gradients
            total += loss.item()?;
            batches += 1;
        }
        losses.push(total / batches as f64);
    }
    let _no_grad = ember::no_grad();
    let predicted = model.forward(&inputs)?.argmax_dim(1, false)?;
    let accuracy = predicted.eq(&targets)?.to_dtype(ember::DType::Float32)?.mean()?.item()?;
    Ok((losses, accuracy))
}

macro_rules! c {
    ($call:expr) => {{
        let status = unsafe { $call };
        assert_eq!(status, ffi::EMBER_OK, "{}: {}", stringify!($call), unsafe {
            std::ffi::CStr::from_ptr(ffi::ember_last_error()).to_string_lossy()
        });
    }};
}

/// The same run through the C API, as a C program writes it.
fn train_c(x: &[f32], y: &[i64]) -> Vec<f64> {
    unsafe { ffi::ember_manual_seed(0) };
    let (mut model, mut fc1, mut act, mut fc2) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    c!(ffi::ember_sequential_new(&mut model));
    c!(ffi::ember_linear_new(10, 5, true, &mut fc1));
    c!(ffi::ember_relu_new(&mut act));
    c!(ffi::ember_linear_new(5, 2, true, &mut fc2));
    for m in [fc1, act, fc2] {
        c!(ffi::ember_sequential_append(model, m));
        unsafe { ffi::ember_module_free(m) };
    }
    let mut optimizer = ptr::null_mut();
    c!(ffi::ember_sgd_new(model, 0.01, &mut optimizer));
    let (xs, ys) = ([N as i64, IN as i64], [N as i64]);
    let (mut inputs, mut targets) = (ptr::null_mut(), ptr::null_mut());
    c!(ffi::ember_tensor_from_data(x.as_ptr().cast(), ffi::EMBER_FLOAT32, xs.as_ptr(), 2, &mut inputs));
    c!(ffi::ember_tensor_from_data(y.as_ptr().cast(), ffi::EMBER_INT64, ys.as_ptr(), 1, &mut targets));
    let mut loader = ptr::null_mut();
    c!(ffi::ember_dataloader_new(inputs, targets, 32, true, &mut loader));
    let mut losses = Vec::new();
    for _epoch in 0..EPOCHS {
        let (mut total, mut batches) = (0.0, 0);
        loop {
            let (mut data, mut target) = (ptr::null_mut(), ptr::null_mut());
            c!(ffi::ember_dataloader_next(loader, &mut data, &mut target));
            if data.is_null() {
                break;
            }
            let (mut output, mut loss) = (ptr::null_mut(), ptr::null_mut());
            c!(ffi::ember_module_forward(model, data, &mut output));
            c!(ffi::ember_cross_entropy(output, target, &mut loss));
            c!(ffi::ember_tensor_backward(loss, ptr::null()));
            c!(ffi::ember_optimizer_step(optimizer));
            c!(ffi::ember_optimizer_zero_grad(optimizer));
            let mut value = 0.0;
            c!(ffi::ember_tensor_item(loss, &mut value));
            total += value;
            batches += 1;
            unsafe {
                ffi::ember_tensor_free(output);
                ffi::ember_tensor_free(loss);
                ffi::ember_tensor_free(data);
                ffi::ember_tensor_free(target);
            }
        }
        losses.push(total / batches as f64);
    }
    unsafe {
        ffi::ember_dataloader_free(loader);
        ffi::ember_optimizer_free(optimizer);
        ffi::ember_module_free(model);
        ffi::ember_tensor_free(inputs);
        ffi::ember_tensor_free(targets);
    }
    losses
}

#[test]
fn seed_network_trains_and_matches_the_c_api() {
    let (x, y) = data();
    let (safe, accuracy) = train_safe(&x, &y).unwrap_or_else(|e| panic!("{e}"));
    let raw = train_c(&x, &y);
    for (epoch, (a, b)) in safe.iter().zip(&raw).enumerate() {
        println!("epoch {:2}  loss {a:.6}  (C API {b:.6})", epoch + 1);
    }
    println!("accuracy {accuracy:.3}");
    assert_eq!(safe.len(), EPOCHS);
    assert!(safe[EPOCHS - 1] < safe[0] * 0.9, "the loss should drop: {safe:?}");
    for (a, b) in safe.iter().zip(&raw) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "safe API {a} and C API {b} disagree: {safe:?} vs {raw:?}");
    }
    if let Ok(path) = std::env::var("EMBER_SEED_REFERENCE") {
        let text = std::fs::read_to_string(&path).unwrap();
        let c: Vec<f64> = text.split_whitespace().map(|v| v.parse().unwrap()).collect();
        assert_eq!(c.len(), EPOCHS, "{path}: {text}");
        for (a, b) in safe.iter().zip(&c) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "Rust {a} and the C program's {b} disagree: {safe:?} vs {c:?}");
        }
        println!("the same {EPOCHS} losses as the C program ({path})");
    }
}
