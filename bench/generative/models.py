"""The PyTorch twins of Axon's generative and Siamese models, layer for layer (see twins.py). Import after setting the
thread environment variables: importing torch reads them."""
import torch
import torch.nn.functional as F
from torch import nn


class Vae(nn.Module):
    """Axon.Models.Generative.Vae: fc1 (ReLU) → fc21 mean, fc22 log-variance; z = μ + exp(½ logvar)·ε; fc3 (ReLU) → fc4 logits."""

    def __init__(self, inputs=784, hidden=400, latent=20):
        super().__init__()
        self.inputs, self.latent = inputs, latent
        self.fc1, self.fc21, self.fc22 = nn.Linear(inputs, hidden), nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.fc3, self.fc4 = nn.Linear(latent, hidden), nn.Linear(hidden, inputs)

    def decode(self, z):
        return self.fc4(F.relu(self.fc3(z)))

    def forward(self, x, noise):
        h = F.relu(self.fc1(x.reshape(x.shape[0], self.inputs)))
        mean, logvar = self.fc21(h), self.fc22(h)
        eps = torch.randn(mean.shape, generator=noise)
        return self.decode(mean + (logvar * 0.5).exp() * eps), mean, logvar


def negative_elbo(logits, mean, logvar, x):
    """Vae.NegativeElbo: BCE summed over pixels + KL(N(μ, σ²) ‖ N(0, I)) summed over latents, averaged over the batch."""
    n = logits.shape[0]
    recon = F.binary_cross_entropy_with_logits(logits, x.reshape(n, -1), reduction="sum") / n
    kl = (1 + logvar - mean.square() - logvar.exp()).sum() * (-0.5 / n)
    return recon + kl


def autoencoder(sizes=(784, 256, 64)):
    """Axon.Models.Generative.Autoencoder(sizes): ReLU between hidden layers, a linear code, logits out."""
    enc, dec = [], []
    for i in range(len(sizes) - 1):
        enc.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            enc.append(nn.ReLU())
    for i in range(len(sizes) - 1, 0, -1):
        dec.append(nn.Linear(sizes[i], sizes[i - 1]))
        if i > 1:
            dec.append(nn.ReLU())
    return nn.Sequential(nn.Flatten(), *enc, *dec)


def mlp_gan(latent=64, hidden=256):
    """MlpGan.Create: (generator, discriminator)."""
    h2 = 2 * hidden
    g = nn.Sequential(nn.Linear(latent, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, h2), nn.LeakyReLU(0.2),
                      nn.Linear(h2, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
    d = nn.Sequential(nn.Flatten(), nn.Linear(784, h2), nn.LeakyReLU(0.2), nn.Linear(h2, hidden), nn.LeakyReLU(0.2),
                      nn.Linear(hidden, 1))
    return g, d


def dcgan_generator(latent, width):
    """DcGan.CreateGenerator."""
    w2 = 2 * width
    return nn.Sequential(
        nn.Linear(latent, w2 * 7 * 7, bias=False), nn.BatchNorm1d(w2 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (w2, 7, 7)),
        nn.ConvTranspose2d(w2, width, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh())


def dcgan_trunk(width):
    """DcGan.CreateTrunk: [N, 1, 28, 28] → [N, 2w·7·7]."""
    w2 = 2 * width
    return nn.Sequential(
        nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, w2, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(w2), nn.LeakyReLU(0.2), nn.Flatten())


def dcgan_init(*modules):
    """DcGan.InitializeWeights: biases 0, rank-1 weights (batch-norm scales) N(1, 0.02), the others N(0, 0.02)."""
    with torch.no_grad():
        for m in modules:
            for name, p in m.named_parameters():
                if name.endswith("bias"):
                    p.zero_()
                elif p.dim() == 1:
                    p.normal_(1, 0.02)
                else:
                    p.normal_(0, 0.02)


def dcgan(latent=64, width=32):
    g = dcgan_generator(latent, width)
    d = nn.Sequential(*dcgan_trunk(width), nn.Linear(2 * width * 7 * 7, 1))
    dcgan_init(g, d)
    return g, d


class InfoGan(nn.Module):
    """InfoGan.ForFashionMnist: DCGAN's generator on [z, one-hot(c), continuous]; DCGAN's trunk + Linear (no bias) →
    BatchNorm1d → LeakyReLU 0.2 shared by the real/fake head and Q (categorical logits, then continuous means)."""

    def __init__(self, noise=62, categories=10, continuous=2, width=32, features=128):
        super().__init__()
        self.noise, self.categories, self.continuous = noise, categories, continuous
        self.generator = dcgan_generator(noise + categories + continuous, width)
        self.trunk = nn.Sequential(*dcgan_trunk(width), nn.Linear(2 * width * 7 * 7, features, bias=False),
                                   nn.BatchNorm1d(features), nn.LeakyReLU(0.2))
        self.d_head = nn.Linear(features, 1)
        self.q_head = nn.Linear(features, categories + continuous)
        dcgan_init(self)

    def inputs(self, n, g, categories=None):
        """Generator inputs: noise N(0, I), one-hot categories (uniform unless given), continuous codes U(−1, 1)."""
        cats = torch.randint(self.categories, (n,), generator=g) if categories is None else categories
        cont = torch.rand(n, self.continuous, generator=g) * 2 - 1
        z = torch.randn(n, self.noise, generator=g)
        return torch.cat([z, F.one_hot(cats, self.categories).float(), cont], 1), cats, cont


def siamese(embedding=64):
    """SiameseNetwork.ForFashionMnist."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, embedding))


def contrastive_loss(e1, e2, same, margin=1.0):
    """Functional.ContrastiveLoss: ½ (y d² + (1 − y) max(0, margin − d)²), mean; d = ‖e1 − e2 + 1e-6‖ (pairwise_distance)."""
    d = F.pairwise_distance(e1, e2, p=2, eps=1e-6)
    return ((same * d.square() + (1 - same) * (margin - d).clamp(min=0).square()) * 0.5).mean()


def bce_ones(logits):
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def bce_zeros(logits):
    return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
