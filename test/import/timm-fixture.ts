import { float32Tensor, type NamedTensors } from '../../src/checkpoint/index.ts';
import { prng } from '../onnx/reference-forward.ts';

/** A timm-named pre-norm GELU ViT with DeiT-tiny's geometry (224², patch 16, 197 tokens, width 192, 3 heads, MLP 768). */
export function timmDeitTiny(seed: number, depth = 12): NamedTensors {
  const D = 192;
  const H = 768;
  const rand = prng(seed);
  const tensors: NamedTensors = new Map();
  const put = (name: string, shape: number[], scale: number, centre = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = centre + scale * (2 * rand() - 1);
    tensors.set(name, float32Tensor(shape, v));
  };
  put('cls_token', [1, 1, D], 0.5);
  put('pos_embed', [1, 197, D], 0.5);
  put('patch_embed.proj.weight', [D, 3, 16, 16], 1.5 / Math.sqrt(768));
  put('patch_embed.proj.bias', [D], 0.2);
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    put(`${b}.norm1.weight`, [D], 0.3, 1);
    put(`${b}.norm1.bias`, [D], 0.2);
    put(`${b}.attn.qkv.weight`, [3 * D, D], 1.5 / Math.sqrt(D));
    put(`${b}.attn.qkv.bias`, [3 * D], 0.2);
    put(`${b}.attn.proj.weight`, [D, D], 1.5 / Math.sqrt(D));
    put(`${b}.attn.proj.bias`, [D], 0.2);
    put(`${b}.norm2.weight`, [D], 0.3, 1);
    put(`${b}.norm2.bias`, [D], 0.2);
    put(`${b}.mlp.fc1.weight`, [H, D], 1.5 / Math.sqrt(D));
    put(`${b}.mlp.fc1.bias`, [H], 0.2);
    put(`${b}.mlp.fc2.weight`, [D, H], 1.5 / Math.sqrt(H));
    put(`${b}.mlp.fc2.bias`, [D], 0.2);
  }
  put('norm.weight', [D], 0.3, 1);
  put('norm.bias', [D], 0.2);
  put('head.weight', [1000, D], 1.5 / Math.sqrt(D));
  put('head.bias', [1000], 0.2);
  return tensors;
}

