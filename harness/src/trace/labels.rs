//! Names for the threads and objects of a recording.

use std::collections::HashMap;

use crate::rt::{AtomicRepr, Bits, ObjId, ObjKind, Op, Recording, Site, ThreadIdx};

/// How a trace names an object.
#[derive(Clone, Debug)]
pub(crate) struct ObjectLabel {
    pub name: String,
    pub kind: ObjKind,
    pub site: Site,
}

/// Thread and object names of one recording: the names the program gave (`Mutex::named`,
/// `thread::Builder::name`), else `main` and `T1`, `T2`, ... for threads and the object's
/// kind and number (`mutex1`, `atomic2`) for objects.
#[derive(Debug)]
pub(crate) struct Labels {
    threads: HashMap<ThreadIdx, String>,
    objects: HashMap<ObjId, ObjectLabel>,
    /// The addresses `AtomicPtr`s held, numbered in the order the recording shows them.
    pointers: HashMap<u64, usize>,
}

impl Labels {
    pub(crate) fn new(recording: &Recording) -> Labels {
        let mut threads = HashMap::new();
        for info in &recording.threads {
            threads.insert(
                info.idx,
                info.name
                    .clone()
                    .unwrap_or_else(|| format!("T{}", info.idx)),
            );
        }
        let mut counts: HashMap<&'static str, usize> = HashMap::new();
        let mut objects = HashMap::new();
        for info in &recording.objects {
            let count = counts.entry(short_kind(info.kind)).or_default();
            *count += 1;
            let name = match &info.name {
                Some(name) => name.to_string(),
                None => format!("{}{}", short_kind(info.kind), count),
            };
            objects.insert(
                info.id,
                ObjectLabel {
                    name,
                    kind: info.kind,
                    site: info.site,
                },
            );
        }
        let pointers = pointers(recording, &objects);
        Labels {
            threads,
            objects,
            pointers,
        }
    }

    pub(crate) fn thread(&self, idx: ThreadIdx) -> String {
        match self.threads.get(&idx) {
            Some(name) => name.clone(),
            None if idx == 0 => "main".to_owned(),
            None => format!("T{idx}"),
        }
    }

    pub(crate) fn object(&self, id: ObjId) -> Option<&ObjectLabel> {
        self.objects.get(&id)
    }

    pub(crate) fn object_name(&self, id: ObjId) -> String {
        self.object(id)
            .map_or_else(|| format!("object{id}"), |o| o.name.clone())
    }

    /// A value of the atomic `id`, written as its type prints it; a pointer by its number
    /// in the recording (`ptr#1`), since addresses change from run to run and a trace must
    /// not.
    pub(crate) fn value(&self, id: ObjId, bits: u64) -> String {
        use AtomicRepr::*;
        match self.object(id).map(|o| o.kind) {
            Some(ObjKind::Atomic(Bool)) => bool::from_bits(bits).to_string(),
            Some(ObjKind::Atomic(I8 | I16 | I32 | I64 | Isize)) => (bits as i64).to_string(),
            Some(ObjKind::Atomic(Ptr)) if bits == 0 => "null".to_owned(),
            Some(ObjKind::Atomic(Ptr)) => match self.pointers.get(&bits) {
                Some(n) => format!("ptr#{n}"),
                None => "ptr#?".to_owned(),
            },
            _ => bits.to_string(),
        }
    }

    /// The operand of a read-modify-write on the atomic `id`: a pointer's is a byte offset
    /// or a mask, not an address.
    pub(crate) fn operand(&self, id: ObjId, bits: u64) -> String {
        match self.object(id).map(|o| o.kind) {
            Some(ObjKind::Atomic(AtomicRepr::Ptr)) => format!("{bits:#x}"),
            _ => self.value(id, bits),
        }
    }
}

fn short_kind(kind: ObjKind) -> &'static str {
    match kind {
        ObjKind::Mutex => "mutex",
        ObjKind::PiMutex => "mutex",
        ObjKind::RwLock => "rwlock",
        ObjKind::Condvar => "condvar",
        ObjKind::Barrier => "barrier",
        ObjKind::Once => "once",
        ObjKind::Channel => "channel",
        ObjKind::Atomic(_) => "atomic",
        ObjKind::Cell => "cell",
    }
}

/// The type name of an object kind, as the program wrote it.
pub(crate) fn type_name(kind: ObjKind) -> &'static str {
    match kind {
        ObjKind::Mutex => "Mutex",
        ObjKind::PiMutex => "PiMutex",
        ObjKind::RwLock => "RwLock",
        ObjKind::Condvar => "Condvar",
        ObjKind::Barrier => "Barrier",
        ObjKind::Once => "Once",
        ObjKind::Channel => "channel",
        ObjKind::Atomic(AtomicRepr::Bool) => "AtomicBool",
        ObjKind::Atomic(AtomicRepr::U8) => "AtomicU8",
        ObjKind::Atomic(AtomicRepr::I8) => "AtomicI8",
        ObjKind::Atomic(AtomicRepr::U16) => "AtomicU16",
        ObjKind::Atomic(AtomicRepr::I16) => "AtomicI16",
        ObjKind::Atomic(AtomicRepr::U32) => "AtomicU32",
        ObjKind::Atomic(AtomicRepr::I32) => "AtomicI32",
        ObjKind::Atomic(AtomicRepr::U64) => "AtomicU64",
        ObjKind::Atomic(AtomicRepr::I64) => "AtomicI64",
        ObjKind::Atomic(AtomicRepr::Usize) => "AtomicUsize",
        ObjKind::Atomic(AtomicRepr::Isize) => "AtomicIsize",
        ObjKind::Atomic(AtomicRepr::Ptr) => "AtomicPtr",
        ObjKind::Cell => "UnsafeCell",
    }
}

/// Numbers the non-null addresses that `AtomicPtr`s of `recording` held, from 1, in the order
/// its events show them.
fn pointers(recording: &Recording, objects: &HashMap<ObjId, ObjectLabel>) -> HashMap<u64, usize> {
    let mut numbers = HashMap::new();
    for event in &recording.events {
        let is_ptr = objects
            .get(&event.obj)
            .is_some_and(|o| o.kind == ObjKind::Atomic(AtomicRepr::Ptr));
        if !is_ptr {
            continue;
        }
        let seen: &[u64] = match event.op {
            Op::Load { bits, .. } | Op::Store { bits, .. } => &[bits],
            Op::Swap { old, new, .. } => &[old, new],
            Op::CompareExchange {
                expected,
                new,
                actual,
                ..
            } => &[expected, actual, new],
            Op::Rmw { old, .. } => &[old],
            _ => &[],
        };
        for &bits in seen.iter().filter(|&&bits| bits != 0) {
            let next = numbers.len() + 1;
            numbers.entry(bits).or_insert(next);
        }
    }
    numbers
}
