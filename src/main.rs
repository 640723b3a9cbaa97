fn main() {
    println!("examfn");
}
