#pragma once
/// \file grove::optim: SGD, Adam, AdamW, RMSprop, Adagrad; learning-rate schedulers;
/// clip_grad_norm; optimizer/scheduler state files and checkpoints.

#include "grove/optim/adagrad.hpp"
#include "grove/optim/adam.hpp"
#include "grove/optim/clip_grad.hpp"
#include "grove/optim/lr_scheduler.hpp"
#include "grove/optim/optimizer.hpp"
#include "grove/optim/rmsprop.hpp"
#include "grove/optim/serialize.hpp"
#include "grove/optim/sgd.hpp"
