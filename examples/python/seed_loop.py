"""The seed chapter's PyTorch training loop (PyTorch, section 4.2), run on Ember:
the chapter's code with `import ember` in place of `import torch`, line for
line, plus the data (train_loader, num_epochs) the chapter leaves to the
reader and an accuracy check at the end.

    python3 examples/python/seed_loop.py
"""
import ember
import ember.nn as nn
import ember.optim as optim
from ember.utils.data import DataLoader, TensorDataset

ember.manual_seed(0)


# Define the model architecture
class Net(nn.Module):
   def __init__(self):
       super(Net, self).__init__()
       self.fc1 = nn.Linear(10, 5)
       self.fc2 = nn.Linear(5, 2)

   def forward(self, x):
       x = ember.relu(self.fc1(x))
       x = self.fc2(x)
       return x


# The data the chapter assumes: 512 samples of 10 features in [-1, 1); the class
# is whether the first half of the features outweighs the second half.
inputs = ember.rand(512, 10) * 2 - 1
targets = (inputs[:, :5].sum(dim=1) > inputs[:, 5:].sum(dim=1)).long()
train_loader = DataLoader(TensorDataset(inputs, targets), batch_size=32, shuffle=True)
num_epochs = 60

# Initialize model parameters
model = Net()

# Define the loss function
loss_fn = nn.CrossEntropyLoss()

# Initialize the optimizer
optimizer = optim.SGD(model.parameters(), lr=0.01)

# Training loop
for epoch in range(num_epochs):
   total = 0.0
   for data, target in train_loader:
       # Forward pass
       output = model(data)

       # Calculate the loss
       loss = loss_fn(output, target)

       # Backward pass
       loss.backward()

       # Update model parameters
       optimizer.step()

       # Reset gradients
       optimizer.zero_grad()
       total += loss.item()
   if (epoch + 1) % 10 == 0:
       print(f"epoch {epoch + 1:2d}  loss {total / len(train_loader):.4f}")

# Accuracy on the training set, without recording a graph
with ember.no_grad():
   predicted = model(inputs).argmax(dim=1)
   accuracy = (predicted == targets).float().mean().item()
print(f"accuracy {accuracy:.3f}")
assert accuracy >= 0.9, "the seed network should learn this data"
