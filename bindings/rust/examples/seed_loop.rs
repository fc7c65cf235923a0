//! The seed chapter's PyTorch training loop in Rust: the same data, model,
//! loss, optimizer and loader as docs/TUTORIAL.md's PyTorch version, and,
//! from the same seed, the same losses.
//!
//!     cargo run --example seed_loop

use ember::{DType, DataLoader, Module, Optimizer, Tensor};

fn main() -> ember::Result<()> {
    ember::manual_seed(0);

    // inputs = torch.rand(512, 10) * 2 - 1; the class is whether the first
    // half of the features outweighs the second half.
    let inputs = Tensor::rand(&[512, 10])? * 2.0 - 1.0;
    let first = inputs.slice(1, 0, 5, 1)?.sum_dim(&[1], false)?;
    let second = inputs.slice(1, 5, 10, 1)?.sum_dim(&[1], false)?;
    let targets = first.gt(&second)?.to_dtype(DType::Int64)?;
    let mut train_loader = DataLoader::new(&inputs, &targets, 32, true)?;
    let num_epochs = 20;

    // model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    let model = Module::sequential(&[&Module::linear(10, 5, true)?, &Module::relu()?, &Module::linear(5, 2, true)?])?;
    let loss_fn = Module::new("CrossEntropyLoss", "")?;
    let optimizer = Optimizer::sgd(&model, 0.01)?;
    optimizer.set("momentum", 0.9)?;

    for epoch in 0..num_epochs {
        let mut total = 0.0;
        for batch in train_loader.epoch() {
            let (data, target) = batch?;
            let output = model.forward(&data)?;             // forward pass
            let loss = loss_fn.forward2(&output, &target)?; // loss
            loss.backward()?;                                // backward pass
            optimizer.step()?;                               // update
            optimizer.zero_grad()?;                          // reset gradients
            total += loss.item()?;
        }
        println!("epoch {:2}  loss {:.4}", epoch + 1, total / train_loader.len()? as f64);
    }

    // Accuracy on the training set, without recording a graph
    let _no_grad = ember::no_grad();
    let predicted = model.forward(&inputs)?.argmax_dim(1, false)?;
    let accuracy = predicted.eq(&targets)?.to_dtype(DType::Float32)?.mean()?.item()?;
    println!("accuracy {accuracy:.3}");
    Ok(())
}
