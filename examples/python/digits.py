"""A small CNN on real handwritten digits (UCI, 8x8 images; see
examples/data/README.md), trained from Python with Ember.

    python3 examples/python/digits.py [data.csv.gz] [epochs]

Reads the data with gzip + csv, holds out 360 digits, trains with Adam and a
cosine learning-rate schedule, prints the held-out accuracy after each epoch,
writes the loss curve to digits_loss.csv and, when matplotlib is installed,
to digits_loss.png. Exits with an error unless the held-out accuracy reaches 95%.
"""
import csv
import gzip
import os
import random
import sys

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "digits.csv.gz")


def load_digits(path):
    """(images (N, 1, 8, 8) in [0, 1], labels (N,)) from the gzip-compressed CSV."""
    with gzip.open(path, "rt") as f:
        rows = [[int(v) for v in row] for row in csv.reader(f) if row]
    random.Random(2024).shuffle(rows)  # the file is ordered by writer
    pixels = ember.tensor([row[:64] for row in rows], dtype=ember.float32) / 16
    labels = ember.tensor([row[64] for row in rows])
    return pixels.reshape(-1, 1, 8, 8), labels


class DigitsCNN(nn.Module):
    """conv(1->16) relu pool, conv(16->32) relu pool, linear(128->64) relu, dropout, linear(64->10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.fc1 = nn.Linear(128, 64)
        self.dropout = nn.Dropout(0.1)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.features(x).flatten(1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DATA
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    ember.manual_seed(0)
    images, labels = load_digits(path)
    test_x, test_y = images[:360], labels[:360]
    train_x, train_y = images[360:], labels[360:]
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=32, shuffle=True)

    model = DigitsCNN()
    print(model)
    optimizer = ember.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    losses = []
    accuracy = 0.0
    for epoch in range(epochs):
        model.train()
        for data, target in loader:
            loss = F.cross_entropy(model(data), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        model.eval()
        with ember.no_grad():
            accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        recent = losses[-len(loader):]
        print(f"epoch {epoch + 1:2d}  loss {sum(recent) / len(recent):.4f}  held-out accuracy {accuracy:.3f}")

    with open("digits_loss.csv", "w") as f:
        f.write("step,loss\n")
        f.writelines(f"{i},{v:.6f}\n" for i, v in enumerate(losses))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("wrote digits_loss.csv (install matplotlib for digits_loss.png)")
    else:
        plt.figure(figsize=(7, 4))
        plt.plot(losses, linewidth=0.8)
        plt.xlabel("step")
        plt.ylabel("cross-entropy loss")
        plt.title(f"Ember: digits CNN, held-out accuracy {accuracy:.3f}")
        plt.tight_layout()
        plt.savefig("digits_loss.png", dpi=120)
        print("wrote digits_loss.csv and digits_loss.png")
    if accuracy < 0.95:
        sys.exit(f"held-out accuracy {accuracy:.3f} is below 0.95")


if __name__ == "__main__":
    main()
