using System;

namespace Optim;

/// <summary>
/// Marks the update rule of a model declared <c>[Optimize(Optimizer.Custom)]</c>: a static method written for one
/// element, which the generator compiles into the model's vectorised <c>Step()</c>.
/// </summary>
/// <remarks>
/// Signature: <c>ref T param</c>, then <c>T grad</c>, then any number of <c>ref T</c> state buffers (zero at the start,
/// kept in the model's arena), then optionally <c>T lr</c> (this step's learning rate rounded to T) and <c>long step</c>
/// (the step count after incrementing: 1 on the first step). T is the model's element type. The method stays ordinary
/// C#; the generated <c>Step()</c> gives exactly what calling it once per element gives.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class UpdateRuleAttribute : Attribute
{
}
